"""The training part of a GAN's exported script: the engine's own epoch (copied), with the same
noise and measures (engine.training.adversarial), on the model's `generate` and `judge` halves."""

from __future__ import annotations

from engine.export.training_code import copied
from engine.gan import DISTANCE_PROJECTIONS, DISTANCE_SEED, parts, sliced_distance
from engine.training.adversarial import EVAL_SAMPLES
from engine.training.steps import train_gan_epoch

EVALUATE = '''def evaluate(model, real, fake):
    """The discriminator's loss and accuracy on real against generated samples."""
    model.eval()
    with torch.no_grad():
        real_scores, fake_scores = model.judge(real[:EVAL_SAMPLES]{logits}), model.judge(fake{logits})
        loss = (loss_fn(real_scores, torch.ones_like(real_scores)) + loss_fn(fake_scores, torch.zeros_like(fake_scores))) / 2
        right = int((real_scores > 0).sum()) + int((fake_scores <= 0).sum())
    model.train()
    return float(loss), right / (len(real_scores) + len(fake_scores))


def report(epoch, epochs, train, test, distance):
    print(f"epoch {{epoch}}/{{epochs}}  train loss {{train[0]:.4f}}  test loss {{test[0]:.4f}}  "
          f"test accuracy {{test[1]:.3f}}  distance {{distance:.4f}}", flush=True)'''

MAIN = '''def main():
    """The discriminator learns to tell real samples (1) from generated ones (0), the generator
    to make it say "real"; each with its own optimizer."""
    args, device, model = setup_model()
    x_train, _, x_test, _ = (t.to(device) for t in load_data())
    noise = torch.Generator().manual_seed(TRAINING["seed"] + 1)
    fixed = torch.Generator().manual_seed(TRAINING["seed"] + 2)  # the same noise at every evaluation
    eval_noise = torch.randn((min(EVAL_SAMPLES, max(len(x_test), len(x_train))), *NOISE), generator=fixed).to(device)
    torch.manual_seed(TRAINING["seed"])
    batch = batch_size(len(x_train))
    generator = [p for name, p in model.named_parameters() if name.split(".")[0] in GENERATOR]
    discriminator = [p for name, p in model.named_parameters() if name.split(".")[0] in DISCRIMINATOR]
    g_optimizer = make_optimizer(TRAINING, generator)
    d_lr = TRAINING["discriminator_lr"] or TRAINING["lr"]
    d_optimizer = make_optimizer({{**TRAINING, "lr": d_lr}}, discriminator)
    factor = schedule_factor({{**TRAINING, "epochs": args.epochs}})
    shuffle = torch.Generator().manual_seed(TRAINING["seed"])

    def measure(epoch):
        model.eval()  # as the engine measures: dropout off, batch norm on its running statistics
        with torch.no_grad():
            fake = model.generate(eval_noise)
        report(epoch, args.epochs, evaluate(model, x_train, fake), evaluate(model, x_test, fake),
               sliced_distance(x_test[:EVAL_SAMPLES], fake))

    judge = {judge}
    measure(0)
    for epoch in range(1, args.epochs + 1):
        order = torch.randperm(len(x_train), generator=shuffle).to(device)
        train_gan_epoch(model.generate, judge, generator, discriminator, loss_fn, g_optimizer, d_optimizer, x_train,
                        order, batch, NOISE, noise, TRAINING["discriminator_steps"], lambda: penalty(model),
                        TRAINING["grad_clip"])
        for optimizer, base in ((g_optimizer, TRAINING["lr"]), (d_optimizer, d_lr)):
            for group in optimizer.param_groups:
                group["lr"] = base * factor(epoch)
        measure(epoch)
    if args.save:
        save(model, args.save)


if __name__ == "__main__":
    main()'''


def gan_parts(experiment, logits: str) -> tuple[str, str]:
    """The GAN script's constants and measures, and its main."""
    generator, discriminator = parts(experiment.analysis, experiment.gan)
    constants = "\n".join([
        f"NOISE = {tuple(experiment.model.input_shape)!r}  # the generator's input: one noise sample",
        f"GENERATOR = {tuple(generator)!r}",
        f"DISCRIMINATOR = {tuple(discriminator)!r}",
        f"EVAL_SAMPLES = {EVAL_SAMPLES}",
        f"DISTANCE_PROJECTIONS = {DISTANCE_PROJECTIONS}",
        f"DISTANCE_SEED = {DISTANCE_SEED}",
    ])
    measures = EVALUATE.format(logits=logits)  # the discriminator's scores are logits: "real" above 0
    judge = "lambda sample: model.judge(sample, logits=True)  # the loss squashes, stably" if logits else "model.judge"
    return "\n\n\n".join([constants, *copied(sliced_distance, train_gan_epoch), measures]), \
        MAIN.format(logits=logits, judge=judge)
