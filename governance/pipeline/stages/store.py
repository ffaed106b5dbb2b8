"""Keep the output, content-addressed, for the record: the labelled file when the label
stage made one, else the pixels as PNG."""

from governance.blobs import keep_blob
from governance.images import encode_png
from governance.pipeline.context import CallContext, Output, Seal
from governance.pipeline.evidence import StoreEvidence
from governance.pipeline.stage import StageResult, passed


class StoreOutput:
    name = "store_output"

    def run(self, call: CallContext, output: Output, seal: Seal) -> StageResult:
        data = output.file
        if data is None:
            data = encode_png(output.pixels, call.services.settings.output_png_level)
        output.sha256 = keep_blob(call.session, call.services.blobs, data)
        return passed(
            self.name, StoreEvidence(sha256=output.sha256, bytes=len(data), media_type="image/png")
        )
