package dev.infopro.dl4j.config;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BalancedMemoryTest {

    private static List<String> names(int n) {
        List<String> l = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            l.add("v" + i);
        }
        return l;
    }


    @Test
    void optimalAgainstBruteForceOnRandomCosts() {
        Random r = new Random(3);
        for (int trial = 0; trial < 200; trial++) {
            int n = 1 + r.nextInt(10);
            double[] seg = new double[n + 1];
            double[] cut = new double[n];
            for (int i = 0; i <= n; i++) {
                seg[i] = r.nextInt(100); // decreasing-ish costs like a CNN are covered by randomness
            }
            for (int i = 0; i < n; i++) {
                cut[i] = r.nextInt(40);
            }
            int k = 2 + r.nextInt(n);
            int[] cuts = SplitStrategy.BALANCED_MEMORY.chooseCuts(names(n), seg, cut, k);
            assertEquals(k - 1, cuts.length);
            for (int i = 0; i < cuts.length; i++) {
                assertTrue(cuts[i] >= 0 && cuts[i] < n && (i == 0 || cuts[i] > cuts[i - 1]));
            }
            assertEquals(MinMaxPartitions.bruteForce(seg, cut, k), MinMaxPartitions.maxCost(seg, cut, cuts), 1e-9,
                    "trial " + trial + " n=" + n + " k=" + k);
        }
    }

    @Test
    void balancesUnequalSegments() {
        // a heavy first segment must sit alone: {100} | {30,30,30} beats any other 2-split
        double[] seg = {100, 30, 30, 30};
        int[] cuts = SplitStrategy.BALANCED_MEMORY.chooseCuts(names(3), seg, 2);
        assertArrayEquals(new int[]{0}, cuts);
        // the head cost at the first cut (60) moves the cut later: {100,30}+0? no: {100}+60=160 > {100,30}+1=131
        int[] withHeads = SplitStrategy.BALANCED_MEMORY.chooseCuts(names(3), seg, new double[]{60, 1, 1}, 2);
        assertArrayEquals(new int[]{1}, withHeads);
    }

    @Test
    void failsClearlyWhenKTooLarge() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SplitStrategy.BALANCED_MEMORY.chooseCuts(names(2), new double[]{1, 1, 1}, 4));
        assertTrue(e.getMessage().contains("only 2 valid cut"), e.getMessage());
        assertTrue(e.getMessage().contains("use fewer modules"), e.getMessage());
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> SplitStrategy.BALANCED_MEMORY.chooseCuts(names(2), new double[]{1, 1}, 2));
        assertTrue(bad.getMessage().contains("segmentCost must have"), bad.getMessage());
    }
}
