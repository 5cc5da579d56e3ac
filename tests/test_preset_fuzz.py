"""Generated preset documents: the loader returns a graph or an AuralFxError, nothing else."""

from __future__ import annotations

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import aural_fx
from aural_fx.preset import graph_from_document

REGISTRY = aural_fx.build_registry()
NAMES = sorted(REGISTRY.effects)
PARAMS = sorted({p.name for e in REGISTRY.effects.values() for p in e.parameters})

# No subnormal floats: once native plugins have run in this process, the CPU flushes
# denormals to zero (JUCE/DPF set that mode), and hypothesis refuses to generate them.
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=False),
    st.text(max_size=8), st.sampled_from(["LPF24", "Linear", "WindowedSinc8", "", "a/b.wav"]),
)
values = scalars | st.lists(scalars, max_size=3) | st.dictionaries(st.sampled_from(["a", "params", "chain"]), scalars, max_size=2)
params = st.dictionaries(st.sampled_from(PARAMS + ["ratoi", "", "x y"]), values, max_size=4)


def nodes(depth: int):
    effect = st.fixed_dictionaries({"effect": st.sampled_from(NAMES)}, optional={"params": params}) | st.fixed_dictionaries(
        {"effect": st.sampled_from(NAMES) | st.text(max_size=6)}, optional={"params": params | values})
    leaf = effect | values | st.fixed_dictionaries({"vst3": st.sampled_from(["ZamCompX2", "Nope", "/tmp/x.vst3", ""]) | values}, optional={"params": params, "state": st.text(max_size=8)})
    if depth == 0:
        return leaf
    inner = st.lists(nodes(depth - 1), max_size=3)
    return leaf | st.fixed_dictionaries({"chain": inner | values}) | st.fixed_dictionaries({"mix": inner | values})


documents = st.fixed_dictionaries(
    {"aural_fx": st.sampled_from([1] * 8 + [2, "1", None, True]), "chain": st.lists(nodes(2), max_size=4) | values},
    optional={"name": st.text(max_size=8) | values, "keep_tail": st.booleans() | values},
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_any_document_gives_a_graph_or_a_clear_error(document):
    try:
        graph = graph_from_document(document, registry=REGISTRY)
    except aural_fx.AuralFxError as error:
        message = str(error)
        assert message and "\n" not in message
        event("refused")
    else:
        assert isinstance(graph, aural_fx.Chain)
        event(f"built a graph of {min(len(graph), 2)}+ nodes")
