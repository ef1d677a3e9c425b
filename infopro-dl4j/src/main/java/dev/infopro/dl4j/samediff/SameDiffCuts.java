package dev.infopro.dl4j.samediff;

import dev.infopro.dl4j.config.LocalLearning;

import java.util.List;

/** Checks the cuts of a {@link SameDiffNetwork}: known units, in network order, not after the last unit. */
final class SameDiffCuts {
    private SameDiffCuts() {
    }

    static void check(SameDiffNetwork network, List<String> cuts, LocalLearning method) {
        List<String> units = network.getUnitNames();
        List<String> valid = units.subList(0, units.size() - 1);
        int prev = -1;
        for (String c : cuts) {
            int i = units.indexOf(c);
            if (i < 0 || i == units.size() - 1) {
                throw new IllegalArgumentException("Cannot cut after '" + c + "': "
                        + (i < 0 ? "no such unit" : "it is the last unit") + "; valid cuts: " + valid);
            }
            if (i <= prev) {
                throw new IllegalArgumentException("Cuts must be distinct and in network order, got " + cuts
                        + "; valid cuts in order: " + valid);
            }
            prev = i;
        }
        if (!cuts.isEmpty() && method.getKind() == LocalLearning.Kind.END_TO_END) {
            throw new IllegalArgumentException("End-to-end training has no local modules: remove the cuts " + cuts);
        }
    }
}
