"""Sample predictions on images: the predicted digit against the truth, or the reconstruction."""

from __future__ import annotations

import numpy as np

from components.live import view
from engine import load_experiment
from engine.training.session import Session
from engine.training.trainer import Snapshot
from engine.training.visuals import all_visuals, to_plane
from tests.conftest import ROOT


def snapshot_after_one_epoch(preset: str) -> tuple[Snapshot, Session]:
    session = Session(load_experiment(ROOT / "presets" / f"{preset}.json"), "cpu")
    session.run_epoch()
    snap = Snapshot(state="paused", epoch=1, epochs=1, step=session.step, lr=session.lr, device="CPU",
                    visuals=all_visuals(session))
    return snap, session


def test_digits_show_ten_test_images_with_the_models_answer():
    snap, session = snapshot_after_one_epoch("cnn_digits")
    figure = view.samples(snap)
    images = [t for t in figure.data if t.type == "heatmap"]
    assert len(images) == 10
    shown = snap.visuals["samples"]
    assert shown["truth"] == session.data.y_test[:10].tolist()
    titles = [a.text for a in figure.layout.annotations]
    for title, predicted, truth in zip(titles, shown["predicted"], shown["truth"], strict=True):
        assert title.startswith(str(predicted)) and (("✓" in title) == (predicted == truth))
    assert np.allclose(np.asarray(images[0].z)[::-1], session.data.x_test[0, 0].numpy())


def test_an_autoencoder_shows_each_image_above_its_reconstruction():
    snap, session = snapshot_after_one_epoch("autoencoder_digits")
    figure = view.samples(snap)
    assert len([t for t in figure.data if t.type == "heatmap"]) == 20
    with_model = session.model.eval()(session.x_test[:1])[0, 0].detach().numpy()
    assert np.allclose(snap.visuals["samples"]["reconstructed"][0], with_model, atol=1e-6)
    # one label per row (ten "input" labels overlapped in the live column)
    assert [a.text for a in figure.layout.annotations if a.text] == ["input", "output"]


def test_no_samples_for_data_that_is_not_images():
    snap, _ = snapshot_after_one_epoch("playground")
    assert snap.visuals["samples"] is None and view.samples(snap) is None


def test_a_gan_on_points_draws_its_generated_points_over_the_real_ones():
    """The game made visible in the output itself: the generator's points over the real ones and
    the discriminator's P(real) (they were only in the Inside tab)."""
    from components.live.figures import boundary

    snap, session = snapshot_after_one_epoch("gan_ring")
    points = snap.visuals["samples"]["points"]
    assert points.shape == (200, 2)
    session.model.eval()
    again = session.adversarial.generate(200).float().numpy()  # the same fixed noise each time
    assert np.allclose(points, to_plane(again, session.data.info.features), atol=1e-5)
    figure = boundary(snap, session.data)
    (fake,) = [t for t in figure.data if t.name == "generated"]
    assert np.allclose(fake.x, points[:, 0]) and fake.visible is not False
    assert boundary(snapshot_after_one_epoch("playground")[0], session.data).data[-1].name != "generated"
