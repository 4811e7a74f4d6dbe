"""Chapter 1's checks of the simulator pass on the simulator and catch every broken one."""

from __future__ import annotations

from dslib.basics.sim_mutants import SIMULATOR_CHECKS, SIMULATOR_MUTANTS
from dslib.mutants import assert_mutants_caught, mutant_table
from dslib.sim import Simulation


def test_every_simulator_mutant_is_caught_and_the_simulator_passes() -> None:
    report = assert_mutants_caught(lambda: Simulation, SIMULATOR_MUTANTS, SIMULATOR_CHECKS)
    table = mutant_table(report)
    assert table["mutant"].iloc[0] == "correct version"
    assert len(table) == 1 + len(SIMULATOR_MUTANTS)
    for mutant in SIMULATOR_MUTANTS:
        row = table[table["mutant"] == mutant.name].iloc[0]
        assert set(mutant.caught_by) <= set(row["caught by"].split(", "))
