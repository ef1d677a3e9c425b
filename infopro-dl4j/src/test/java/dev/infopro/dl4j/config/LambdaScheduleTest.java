package dev.infopro.dl4j.config;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LambdaScheduleTest {

    @Test
    void referenceRowsAndTheRuleForOtherK() {
        assertArrayEquals(new double[]{5, 1}, LambdaSchedule.referenceDefault(2).lambdas(0, 1), 0.0);
        assertArrayEquals(new double[]{6, 0}, LambdaSchedule.referenceDefault(4).lambdas(0, 3), 0.0);
        assertArrayEquals(new double[]{3.5, 1}, LambdaSchedule.referenceDefault(4).lambdas(1, 3), 0.0);
        assertArrayEquals(new double[]{1, 2}, LambdaSchedule.referenceDefault(4).lambdas(2, 3), 0.0);
        // K = 6 has no reference row: (6, 0) -> (1, 2) over five local modules
        assertArrayEquals(new double[]{4.75, 0.5}, LambdaSchedule.referenceDefault(6).lambdas(1, 5), 1e-15);
    }

    @Test
    void withBatchNormEverywhereTheDefaultIsTheReference() {
        assertEquals(LambdaSchedule.referenceDefault(4), LambdaSchedule.defaultFor(4, new boolean[]{true, true, true}));
    }

    @Test
    void modulesWithoutBatchNormGetTheReferenceRatioScaledToSumOne() {
        LambdaSchedule s = LambdaSchedule.defaultFor(4, new boolean[]{false, true, false});
        assertArrayEquals(new double[]{1, 0}, s.lambdas(0, 3), 0.0);          // (6, 0) / 6
        assertArrayEquals(new double[]{3.5, 1}, s.lambdas(1, 3), 0.0);        // kept: batch norm
        assertArrayEquals(new double[]{1 / 3.0, 2 / 3.0}, s.lambdas(2, 3), 1e-15); // (1, 2) / 3
        assertArrayEquals(new double[]{5 / 6.0, 1 / 6.0},
                LambdaSchedule.defaultFor(2, new boolean[]{false}).lambdas(0, 1), 1e-15);
    }

    @Test
    void oneFlagPerLocalModule() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LambdaSchedule.defaultFor(4, new boolean[]{true}));
        assertTrue(e.getMessage().contains("one batch-norm flag per local module (K-1 = 3), got 1"), e.getMessage());
        assertSame(IllegalArgumentException.class, assertThrows(IllegalArgumentException.class,
                () -> LambdaSchedule.defaultFor(1, new boolean[0])).getClass());
    }
}
