package dev.infopro.dl4j.optim;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.shade.jackson.databind.ObjectMapper;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class CosineAnnealingScheduleTest {

    @Test
    void followsPyTorchCosineAnnealingPerEpoch() {
        CosineAnnealingSchedule s = new CosineAnnealingSchedule(0.1, 4);
        assertEquals(0.1, s.valueAt(0, 0), 0);                      // first epoch at lr0
        assertEquals(0.05 * (1 + Math.sqrt(0.5)), s.valueAt(99, 1), 1e-15);
        assertEquals(0.05, s.valueAt(0, 2), 1e-15);
        assertEquals(0.05 * (1 - Math.sqrt(0.5)), s.valueAt(0, 3), 1e-15); // last epoch still > 0
        assertEquals(s.valueAt(0, 3), s.valueAt(0, 10), 0);        // past the end: the last value
        assertEquals(0.1, new CosineAnnealingSchedule(0.1, 1).valueAt(0, 0), 0);
    }

    @Test
    void jsonRoundTripAndValidation() throws Exception {
        ObjectMapper m = new ObjectMapper();
        ISchedule s = new CosineAnnealingSchedule(0.2, 7);
        ISchedule back = m.readValue(m.writeValueAsString(s), CosineAnnealingSchedule.class);
        assertEquals(s, back);
        assertEquals("totalEpochs must be >= 1, got 0",
                assertThrows(IllegalArgumentException.class, () -> new CosineAnnealingSchedule(0.1, 0)).getMessage());
    }
}
