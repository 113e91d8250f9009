"""Store and load trends data as ``TrendDataset`` rows."""

from __future__ import annotations

import hashlib
import json

from sqlalchemy.engine import Engine
from sqlmodel import select

from generation.db import session_scope
from generation.errors import NotFound
from generation.models import TrendDataset
from generation.trends.base import TrendsData


def save_dataset(
    data: TrendsData, *, name: str = "", engine: Engine | None = None
) -> int:
    """Store ``data`` and return its id; identical data returns the existing id."""
    payload = data.to_json_dict()
    content = dict(payload, fetched_at=None)
    content_hash = hashlib.sha256(
        json.dumps(content, sort_keys=True, ensure_ascii=False).encode()
    ).hexdigest()
    with session_scope(engine) as session:
        existing = session.exec(
            select(TrendDataset).where(TrendDataset.content_hash == content_hash)
        ).first()
        if existing is not None:
            return existing.id
        row = TrendDataset(
            name=name or ", ".join(data.terms) or "trends data",
            source=data.source,
            provenance=data.provenance,
            terms=data.terms,
            query=data.query,
            payload=payload,
            content_hash=content_hash,
        )
        session.add(row)
        session.flush()
        return row.id


def load_dataset(dataset_id: int, *, engine: Engine | None = None) -> TrendsData:
    """Return the trends data of a dataset; raises ``NotFound``."""
    with session_scope(engine) as session:
        row = session.get(TrendDataset, dataset_id)
        if row is None:
            raise NotFound(
                f"No trends dataset has id {dataset_id}; import the data again."
            )
        return TrendsData.from_json_dict(row.payload)


def get_dataset(dataset_id: int, *, engine: Engine | None = None) -> TrendDataset:
    """Return the dataset row; raises ``NotFound``."""
    with session_scope(engine) as session:
        row = session.get(TrendDataset, dataset_id)
        if row is None:
            raise NotFound(f"No trends dataset has id {dataset_id}.")
        return row


def load_local_parts(
    dataset_id: int | None, sample_names: list[str], *, engine: Engine | None = None
) -> list[TrendsData]:
    """Load the stored dataset and the bundled samples a request names, in that order."""
    parts: list[TrendsData] = []
    if dataset_id is not None:
        parts.append(load_dataset(dataset_id, engine=engine))
    if sample_names:
        from generation.trends import samples

        parts.append(samples.load_sample_bundle(sample_names))
    return parts
