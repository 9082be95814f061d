import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier

from curation.model.blocks import _binnable, predict_proba_blocked


def test_blocked_scores_equal_the_estimators_own_over_several_blocks() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2_500, 12))
    x[rng.random(x.shape) < 0.05] = np.nan  # missing values take the trees' learnt side
    y = np.where(x[:, 0] > 0.3, "a", np.where(np.nan_to_num(x[:, 1]) > 0, "b", "c"))
    model = HistGradientBoostingClassifier(max_iter=20, random_state=0).fit(x, y)
    got = predict_proba_blocked(model, x, block_rows=300)  # 9 blocks, the last one short
    assert got.shape == (2_500, 3)
    np.testing.assert_array_equal(got, model.predict_proba(x))
    np.testing.assert_array_equal(predict_proba_blocked(model, x[:10]), model.predict_proba(x[:10]))


def test_binned_scoring_equals_predict_proba_at_the_split_thresholds() -> None:
    """Values exactly at a split's threshold, just either side of it, beyond the training range
    and infinite take the same side whether a tree reads the value or its bin index."""
    rng = np.random.default_rng(1)
    x = rng.integers(0, 6, size=(3_000, 4)).astype(float)  # few distinct values: ties
    y = np.where(x[:, 0] + x[:, 1] > 5, "a", np.where(x[:, 2] > 2, "b", "c"))
    model = HistGradientBoostingClassifier(max_iter=15, random_state=0).fit(x, y)
    assert _binnable(model)  # the binned path is the one tested
    edges = np.unique(model._bin_mapper.bin_thresholds_[0])
    probe = x[:200].copy()
    probe[: len(edges), 0] = edges
    probe[len(edges) : 2 * len(edges), 0] = np.nextafter(edges, np.inf)
    probe[2 * len(edges) : 3 * len(edges), 0] = np.nextafter(edges, -np.inf)
    probe[150:160] = [[np.inf, -np.inf, 99.0, -7.0]] * 10
    probe[160:170, 2] = np.nan
    np.testing.assert_array_equal(predict_proba_blocked(model, probe, block_rows=64),
                                  model.predict_proba(probe))
    binary = HistGradientBoostingClassifier(max_iter=10, random_state=0).fit(x, y == "a")
    np.testing.assert_array_equal(predict_proba_blocked(binary, probe), binary.predict_proba(probe))


def test_a_model_that_cannot_be_binned_is_scored_by_its_own_predict_proba() -> None:
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(2)
    x = rng.normal(size=(500, 3))
    model = LogisticRegression().fit(x, x[:, 0] > 0)
    assert not _binnable(model)
    np.testing.assert_array_equal(predict_proba_blocked(model, x, block_rows=100),
                                  model.predict_proba(x))


def test_binning_runs_on_one_thread_whatever_thread_count_the_model_was_trained_with() -> None:
    """A model file keeps its trainer's thread count; scoring must not start OpenMP threads
    with it (they would hang a worker forked later) nor change the model."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(400, 3))
    model = HistGradientBoostingClassifier(max_iter=5, random_state=0).fit(x, x[:, 0] > 0)
    model._bin_mapper.n_threads = 8
    seen: list[int] = []
    transform = type(model._bin_mapper).transform

    def spy(self, data):  # the real transform, recording the thread count it is given
        seen.append(self.n_threads)
        return transform(self, data)

    type(model._bin_mapper).transform = spy
    try:
        np.testing.assert_array_equal(predict_proba_blocked(model, x), model.predict_proba(x))
    finally:
        type(model._bin_mapper).transform = transform
    assert seen and set(seen[:1]) == {1} and model._bin_mapper.n_threads == 8
