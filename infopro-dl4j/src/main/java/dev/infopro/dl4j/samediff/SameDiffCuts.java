package dev.infopro.dl4j.samediff;

import dev.infopro.dl4j.config.LocalLearning;

import java.util.List;

/** Checks the cuts of a {@link SameDiffNetwork}: known units, in network order, not after the last unit. */
final class SameDiffCuts {
    private SameDiffCuts() {
    }

    // A graph may have hundreds of valid cuts: the message shows the first ones.
    private static String shown(List<String> valid) {
        int max = 40;
        return valid.size() <= max ? valid.toString() : valid.subList(0, max) + " ... (" + valid.size() + " in all:"
                + " SameDiffNetwork.getUnitNames())";
    }

    static void check(SameDiffNetwork network, List<String> cuts, LocalLearning method) {
        List<String> units = network.getUnitNames();
        List<String> valid = units.subList(0, units.size() - 1);
        int prev = -1;
        for (String c : cuts) {
            int i = units.indexOf(c);
            if (i < 0 || i == units.size() - 1) {
                throw new IllegalArgumentException("Cannot cut after '" + c + "': "
                        + (i < 0 ? network.whyNotCut(c) : "it is the last unit") + "; valid cuts: " + shown(valid));
            }
            if (i <= prev) {
                throw new IllegalArgumentException("Cuts must be distinct and in network order, got " + cuts
                        + "; valid cuts in order: " + shown(valid));
            }
            prev = i;
        }
        if (!cuts.isEmpty() && method.getKind() == LocalLearning.Kind.END_TO_END) {
            throw new IllegalArgumentException("End-to-end training has no local modules: remove the cuts " + cuts);
        }
    }
}
