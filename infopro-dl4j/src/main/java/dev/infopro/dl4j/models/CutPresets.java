package dev.infopro.dl4j.models;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Where the reference cuts the CIFAR ResNets into K local modules (docs/method.md §2.2, {@code configs.py}), as the
 * names of the vertices after which each cut is made ({@link CifarResNet} naming: {@code stem},
 * {@code s<stage>b<block>}).
 *
 * <p>The paper's tables exist for ResNet-32 and ResNet-110 (K = 2, 3, 4, 8, 16) and for the memory-balanced
 * InfoPro* split of ResNet-110 (K = 2, 3, 4; CIFAR-10 and STL-10). Other depths and K are split evenly by block
 * count, the stem joining the first module, with the earlier modules one block shorter when the blocks do not
 * divide evenly (the rule that reproduces the ResNet-32 K = 4 table).
 */
public final class CutPresets {
    private CutPresets() {
    }

    private static final Map<Integer, String[]> R32 = Map.of(
            2, new String[]{"s2b1"},
            3, new String[]{"s1b4", "s2b4"},
            4, new String[]{"s1b2", "s2b1", "s3b0"},
            8, new String[]{"s1b0", "s1b2", "s1b4", "s2b1", "s2b3", "s3b0", "s3b2"},
            16, new String[]{"stem", "s1b0", "s1b1", "s1b2", "s1b3", "s1b4", "s2b0", "s2b1", "s2b2", "s2b3", "s2b4",
                    "s3b0", "s3b1", "s3b2", "s3b3"});

    private static final Map<Integer, String[]> R110 = Map.of(
            2, new String[]{"s2b8"},
            3, new String[]{"s1b17", "s2b17"},
            4, new String[]{"s1b11", "s2b7", "s3b3"},
            8, new String[]{"s1b4", "s1b11", "s2b0", "s2b7", "s2b14", "s3b3", "s3b10"},
            16, new String[]{"s1b1", "s1b4", "s1b7", "s1b10", "s1b13", "s1b16", "s2b1", "s2b4", "s2b7", "s2b11",
                    "s2b15", "s3b1", "s3b5", "s3b9", "s3b13"});

    private static final Map<Integer, String[]> R110_BALANCED = Map.of(
            2, new String[]{"s1b14"},
            3, new String[]{"s1b9", "s2b2"},
            4, new String[]{"s1b6", "s1b14", "s2b8"});

    /** STL-10 differs from CIFAR-10 only at K = 3. */
    private static final String[] R110_BALANCED_STL_K3 = {"s1b8", "s2b1"};

    /**
     * The cut vertices for a CIFAR ResNet of the given depth split into {@code k} modules.
     *
     * @param depth    6n+2
     * @param k        number of modules (1 = no cut)
     * @param balanced the InfoPro* memory-balanced table (ResNet-110, K = 2, 3, 4 only)
     * @param stl10    use the STL-10 balanced table (differs at K = 3)
     */
    public static List<String> cuts(int depth, int k, boolean balanced, boolean stl10) {
        int n = CifarResNet.builder().depth(depth).build().blocksPerStage();
        if (k < 1) {
            throw new IllegalArgumentException("K must be at least 1, got " + k);
        }
        if (balanced) {
            if (depth != 110 || !R110_BALANCED.containsKey(k)) {
                throw new IllegalArgumentException("The paper's balanced (InfoPro*) split exists only for ResNet-110 "
                        + "with K = 2, 3, 4; got ResNet-" + depth + " K = " + k
                        + ". Use the memory-balanced search (SplitStrategy.BALANCED_MEMORY) for other networks.");
            }
            return List.of(stl10 && k == 3 ? R110_BALANCED_STL_K3 : R110_BALANCED.get(k));
        }
        Map<Integer, String[]> table = depth == 32 ? R32 : depth == 110 ? R110 : Map.of();
        if (table.containsKey(k)) {
            return List.of(table.get(k));
        }
        return evenSplit(n, k);
    }

    /** Even split of the 3n blocks into k modules; the stem belongs to the first module. */
    static List<String> evenSplit(int n, int k) {
        int blocks = 3 * n;
        if (k > blocks + 1) {
            throw new IllegalArgumentException("A CIFAR ResNet with " + blocks + " blocks has at most " + (blocks + 1)
                    + " modules (one cut after the stem and after every block but the last); got K = " + k);
        }
        List<String> cuts = new ArrayList<>();
        if (k == blocks + 1) {
            cuts.add("stem");
            k = blocks;
        }
        int base = blocks / k;
        int extra = blocks % k;
        int end = -1;
        for (int m = 0; m < k - 1; m++) {
            end += base + (m >= k - extra ? 1 : 0);
            cuts.add(CifarResNet.blockName(end / n + 1, end % n));
        }
        return cuts;
    }
}
