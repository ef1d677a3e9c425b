package dev.infopro.dl4j.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.math.BigDecimal;
import java.math.RoundingMode;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.shade.jackson.databind.ObjectMapper;

class CosineWarmupScheduleTest {

    private static final int[] EPOCHS = {1, 2, 5, 10, 11, 80, 120, 160};
    /** The table of docs/method.md §3, rounded to 3 decimals there. */
    private static final double[] TABLE_08 = {0.01, 0.089, 0.325, 0.714, 0.791, 0.400, 0.117, 0.0};
    private static final double[] TABLE_01 = {0.01, 0.019, 0.046, 0.090, 0.099, 0.050, 0.015, 0.0};

    /** The formula of docs/method.md §3, written out independently of the class under test. */
    private static double specLr(double lr0, int e) {
        if (e <= 10) {
            return 0.5 * lr0 * (1 + Math.cos(Math.PI * e / 160)) * (e - 1) / 10 + 0.01 * (11 - e) / 10;
        }
        return 0.5 * lr0 * (1 + Math.cos(Math.PI * e / 160));
    }

    private static double round3(double v) {
        return new BigDecimal(v).setScale(3, RoundingMode.HALF_UP).doubleValue();
    }

    private static void checkTable(double lr0, double[] table) {
        CosineWarmupSchedule s = new CosineWarmupSchedule(lr0, 160, 10);
        for (int i = 0; i < EPOCHS.length; i++) {
            int e = EPOCHS[i];
            double v = s.valueAt(0, e - 1); // DL4J epoch is 0-based: e = epoch + 1
            assertEquals(specLr(lr0, e), v, 1e-16, "lr0=" + lr0 + " e=" + e);
            assertEquals(table[i], round3(v), 0.0, "table lr0=" + lr0 + " e=" + e);
            assertEquals(v, s.lrAtEpoch1Based(e), 0.0);
        }
    }

    @Test
    void matchesSpecTableForLr08() {
        checkTable(0.8, TABLE_08);
    }

    @Test
    void matchesSpecTableForLr01() {
        checkTable(0.1, TABLE_01);
    }

    @Test
    void lastEpochIsZeroAndLaterEpochsAreHeldThere() {
        CosineWarmupSchedule s = new CosineWarmupSchedule(0.8, 160, 10);
        assertEquals(0.0, s.valueAt(0, 159), 0.0);
        assertEquals(0.0, s.valueAt(0, 200), 0.0);
        assertEquals(0.01, s.valueAt(12345, 0), 0.0); // iteration is ignored
    }

    @Test
    void zeroWarmupIsPlainCosine() {
        CosineWarmupSchedule s = new CosineWarmupSchedule(0.4, 20, 0);
        for (int epoch = 0; epoch < 20; epoch++) {
            assertEquals(0.5 * 0.4 * (1 + Math.cos(Math.PI * (epoch + 1) / 20)), s.valueAt(0, epoch), 1e-16);
        }
    }

    @Test
    void customWarmupLength() {
        CosineWarmupSchedule s = new CosineWarmupSchedule(1.0, 40, 4, 0.02);
        double cos3 = 0.5 * (1 + Math.cos(Math.PI * 3 / 40));
        assertEquals(cos3 * 2 / 4 + 0.02 * 2 / 4, s.lrAtEpoch1Based(3), 1e-16);
        assertEquals(0.02, s.lrAtEpoch1Based(1), 1e-17);
        assertEquals(0.5 * (1 + Math.cos(Math.PI * 5 / 40)), s.lrAtEpoch1Based(5), 1e-16);
    }

    @Test
    void validation() {
        assertThrows(IllegalArgumentException.class, () -> new CosineWarmupSchedule(0.1, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new CosineWarmupSchedule(0.1, 10, 11));
        assertThrows(IllegalArgumentException.class, () -> new CosineWarmupSchedule(0.1, 10, -1));
        assertThrows(IllegalArgumentException.class, () -> new CosineWarmupSchedule(-0.1, 10, 1));
        assertThrows(IllegalArgumentException.class, () -> new CosineWarmupSchedule(0.1, 10, 1).lrAtEpoch1Based(0));
    }

    @Test
    void jsonRoundTripAsISchedule() throws Exception {
        ObjectMapper om = new ObjectMapper();
        CosineWarmupSchedule s = new CosineWarmupSchedule(0.8, 160, 10, 0.03);
        String json = om.writeValueAsString(s);
        ISchedule back = om.readValue(json, ISchedule.class);
        assertEquals(s, back);
        assertEquals(s.hashCode(), back.hashCode());
        assertEquals(s.valueAt(0, 4), back.valueAt(0, 4), 0.0);
        assertEquals(s, s.clone());
        assertNotEquals(s, new CosineWarmupSchedule(0.8, 160, 10));
    }
}
