"""conftest.py's guard that no test skips unseen."""

from conftest import skip_surprises

TEST = "tests/test_x.py::test_y"
EXPECTED = [
    ("tests/test_x.py::test_y", "needs two cores", False),
    ("tests/test_x.py::test_y", "the machine is loaded", None),
    ("tests/test_z.py", "only one backend", True),
]


def test_a_skip_listed_for_this_machine_or_its_load_is_expected():
    assert skip_surprises({TEST}, {}, EXPECTED) == []
    loaded = {TEST: "the machine is loaded: an unlimited run used 1.02 cores"}
    assert skip_surprises({TEST}, loaded, EXPECTED) == []
    z = "tests/test_z.py::test_w[1]"
    assert skip_surprises({z}, {z: "only one backend is installed"}, EXPECTED) == []


def test_a_skip_not_listed_for_this_machine_is_a_surprise():
    # Listed, but not for this machine (False): a surprise, as is an unlisted reason.
    for reason in ("needs two cores", "could not import 'pyarrow'"):
        assert skip_surprises({TEST}, {TEST: reason}, EXPECTED) == [
            f"{TEST} skipped unexpectedly: {reason}"
        ]


def test_a_test_listed_to_skip_here_that_ran_is_a_surprise():
    z = "tests/test_z.py::test_w"
    assert skip_surprises({z}, {}, EXPECTED) == [
        f"{z} ran, but is listed to skip here (only one backend)"
    ]
