"""The dataset of an experiment as standalone numpy code: the engine's own generator functions,
copied with what they call, so the script makes exactly the data the engine makes."""

from __future__ import annotations

import pprint

from engine.data import DATASETS
from engine.data.base import split
from engine.data.planar import features_code
from engine.errors import Problem, SpecError
from engine.export.sources import function_sources


def data_source(experiment) -> str:
    """`DATA`, the generator functions and `load_data()` returning train and test tensors."""
    config, info = experiment.data, experiment.data_info
    kind = DATASETS[config["dataset"]]
    if kind.export is None:  # every built-in dataset has one; this guards future ones
        raise SpecError(Problem("data", f"the {kind.name} dataset cannot be exported as code yet; "
                                        "export the model (onnx, pt2) or the experiment (spec) instead"))
    roots, call = kind.export
    if kind.for_export is not None:  # e.g. an upload's content written in: the script runs anywhere
        config = kind.for_export(config)
    body = [f"    inputs, targets, train, test = {call}"]
    if info.kind == "planar":
        body += ["    x, y = inputs[:, 0], inputs[:, 1]  # the raw point; the model sees these features:",
                 f"    inputs = {features_code(config['features'])}"]
    input_dtype = "torch.long" if info.dtype == "long" else "torch.float32"
    target_dtype = "torch.long" if info.is_classification else "torch.float32"
    body += [
        f"    x_all = torch.as_tensor(np.ascontiguousarray(inputs), dtype={input_dtype})",
        f"    y_all = torch.as_tensor(np.ascontiguousarray(targets), dtype={target_dtype})",
        "    train, test = torch.as_tensor(train), torch.as_tensor(test)",
        "    return x_all[train], y_all[train], x_all[test], y_all[test]",
    ]
    load = "\n".join(['def load_data():', f'    """The {kind.name} data as tensors: x_train, y_train, x_test, y_test."""',
                      *body])
    literal = pprint.pformat(dict(config), sort_dicts=False, width=100)
    header = f"DATA = {literal}\nConfig = dict  # the type of a dataset's settings, as in the annotations below"
    if info.kind == "table":  # the engine's class order, so label ids match its weights
        header += f"\nCLASS_NAMES = {list(info.class_names)!r}  # empty: regression"
    return "\n\n\n".join([header, *function_sources([split, *roots]), load])
