"""Reading a query -> work homography: turn, scale, mirror, crop windows, coverage."""

import math

import numpy as np
import pytest

from rights.nearcopy.transform import describe, footprint, project

WORK = (600, 400)


def work_to_query(
    turn: float, scale: float, mirrored: bool, shift: tuple[float, float]
) -> np.ndarray:
    """The map of a copy made by mirroring, turning counterclockwise as seen (y points
    down), scaling and shifting the work."""
    c, s = math.cos(math.radians(turn)), math.sin(math.radians(turn))
    linear = scale * np.array([[c, s], [-s, c]]) @ np.diag([-1.0 if mirrored else 1.0, 1.0])
    m = np.eye(3)
    m[:2, :2] = linear
    m[:2, 2] = shift
    return m


@pytest.mark.parametrize(
    ("turn", "scale", "mirrored"),
    [
        (0, 1, False),
        (90, 1, False),
        (180, 0.5, False),
        (-90, 2, False),
        (12.5, 0.8, True),
        (180, 1, True),
    ],
)
def test_turn_scale_and_mirror_are_read_back(turn, scale, mirrored):
    forward = work_to_query(turn, scale, mirrored, (1000.0, 1000.0))
    t = describe(np.linalg.inv(forward), (3000, 3000), WORK, inverted=False)
    assert abs((t.rotation_degrees - turn + 180) % 360 - 180) < 1e-6
    assert -180 < t.rotation_degrees <= 180
    assert t.scale == pytest.approx(scale, rel=1e-4)
    assert t.mirrored is mirrored
    assert t.inverted is False
    assert t.work_fraction == pytest.approx(1.0)  # the query holds the whole work


def test_a_crop_is_a_window_of_the_work_and_the_whole_query():
    # The query is the work's pixels 100..399 x 50..249: query (x, y) is work (x+100, y+50).
    query_to_work = np.array([[1.0, 0, 100], [0, 1.0, 50], [0, 0, 1]])
    t = describe(query_to_work, (300, 200), WORK, inverted=True)
    assert (t.query_in_work.x, t.query_in_work.y) == pytest.approx((100, 50))
    assert (t.query_in_work.width, t.query_in_work.height) == pytest.approx((300, 200))
    assert (t.work_in_query.x, t.work_in_query.y, t.work_in_query.width) == pytest.approx(
        (0, 0, 300)
    )
    assert t.work_fraction == pytest.approx(300 * 200 / (600 * 400), abs=1e-3)
    assert t.query_fraction == pytest.approx(1.0, abs=1e-3)
    assert t.inverted is True


def test_footprints_are_clipped_and_empty_when_apart():
    shift = np.array([[1.0, 0, 500], [0, 1.0, 0], [0, 0, 1]])
    box = footprint(shift, (200, 100), WORK)
    assert (box.x, box.y, box.width, box.height) == pytest.approx((500, 0, 100, 100))
    apart = np.array([[1.0, 0, 5000], [0, 1.0, 0], [0, 0, 1]])
    assert footprint(apart, (200, 100), WORK).area == 0


def test_project_maps_points():
    m = np.array([[2.0, 0, 1], [0, 2.0, 0], [0, 0, 1]])
    assert project(m, np.array([[1.0, 1.0], [0.0, 3.0]])) == pytest.approx(
        np.array([[3, 2], [1, 6]])
    )
