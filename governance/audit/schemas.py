"""Wire shapes of the audit API. Hashes are base64, as in the checkpoints."""

from pydantic import BaseModel, Field


class EntryOut(BaseModel):
    index: int
    kind: str
    subject: str
    actor: str
    leaf_hash: str
    entry: str = Field(description="the RFC 8785 canonical JSON: exactly the leaf's bytes")


class EntryPage(BaseModel):
    entries: list[EntryOut]
    start: int
    end: int
    tree_size: int


class InclusionProof(BaseModel):
    index: int
    tree_size: int
    leaf_hash: str
    root_hash: str
    proof: list[str]


class ConsistencyProof(BaseModel):
    from_size: int = Field(serialization_alias="from")
    to_size: int = Field(serialization_alias="to")
    from_root: str
    to_root: str
    proof: list[str]


class PublicKey(BaseModel):
    origin: str
    key_name: str
    verifier_key: str = Field(description="C2SP signed-note verifier key")
    public_key_pem: str
