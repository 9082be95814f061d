import pyarrow as pa

from curation.model.apply import _with_model_vote
from curation.schema import VOTE_TYPE


def test_the_model_vote_replaces_an_earlier_one_and_keeps_the_rules_votes_in_order() -> None:
    votes = pa.chunked_array([
        pa.array([[{"rule": "a.x", "label": "ad"}, {"rule": "model", "label": "other"},
                   {"rule": "b.y", "label": "article"}]], pa.list_(VOTE_TYPE)),
        pa.array([None, [], [{"rule": "c.z", "label": "caption"}]], pa.list_(VOTE_TYPE)),
    ])
    got = _with_model_vote(votes.slice(0), ["article", "ad", "other", "caption"])
    assert got.type == pa.list_(VOTE_TYPE)
    assert got.to_pylist() == [
        [{"rule": "a.x", "label": "ad"}, {"rule": "b.y", "label": "article"},
         {"rule": "model", "label": "article"}],
        [{"rule": "model", "label": "ad"}],  # a row without votes (null) gets the model's
        [{"rule": "model", "label": "other"}],
        [{"rule": "c.z", "label": "caption"}, {"rule": "model", "label": "caption"}],
    ]
    # a sliced column (a batch cut from a bigger table) reads its own rows only
    sliced = votes.combine_chunks().slice(2, 2)
    assert _with_model_vote(pa.chunked_array([sliced]), ["teaser", "ad"]).to_pylist() == [
        [{"rule": "model", "label": "teaser"}],
        [{"rule": "c.z", "label": "caption"}, {"rule": "model", "label": "ad"}],
    ]
