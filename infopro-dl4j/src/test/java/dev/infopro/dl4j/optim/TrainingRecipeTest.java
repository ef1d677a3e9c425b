package dev.infopro.dl4j.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TrainingRecipeTest {

    private static void checkPaper(TrainingRecipe r, String name, int batch, double lr0) {
        assertEquals(name, r.getName());
        assertEquals(batch, r.getBatchSize());
        assertEquals(batch, r.getTestBatchSize());
        assertEquals(lr0, r.getLr0(), 0.0);
        assertEquals(0.9, r.getMomentum(), 0.0);
        assertTrue(r.isNesterov());
        assertEquals(1e-4, r.getWeightDecay(), 0.0);
        assertEquals(160, r.getEpochs());
        assertEquals(10, r.getWarmupEpochs());
        assertEquals(10, r.effectiveWarmupEpochs());
        assertEquals(r, TrainingRecipe.byName(name));
    }

    @Test
    void paperPresets() {
        checkPaper(TrainingRecipe.paperCifar10(), "paper-cifar10", 1024, 0.8);
        checkPaper(TrainingRecipe.paperSvhn(), "paper-svhn", 1024, 0.8);
        checkPaper(TrainingRecipe.paperStl10(), "paper-stl10", 128, 0.1);
        assertEquals("stl10", TrainingRecipe.paperStl10().getDataset());
    }

    @Test
    void unknownNameListsKnownRecipes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TrainingRecipe.byName("paper-imagenet"));
        assertTrue(e.getMessage().contains("paper-imagenet"), e.getMessage());
        assertTrue(e.getMessage().contains("paper-cifar10, paper-svhn, paper-stl10"), e.getMessage());
    }

    @Test
    void copiesChangeOneThing() {
        TrainingRecipe p = TrainingRecipe.paperCifar10();
        TrainingRecipe e = p.withEpochs(20);
        assertEquals(20, e.getEpochs());
        assertEquals(p.getLr0(), e.getLr0(), 0.0);
        assertEquals(160, p.getEpochs()); // original untouched
        TrainingRecipe b = p.withBatchSize(64);
        assertEquals(64, b.getBatchSize());
        assertEquals(64, b.getTestBatchSize());
        TrainingRecipe l = p.withLr(0.05);
        assertEquals(0.05, l.getLr0(), 0.0);
        assertEquals(p, l.withLr(0.8));
        assertEquals(0.0, p.withWeightDecay(0).getWeightDecay(), 0.0);
        assertEquals(3, p.withWarmupEpochs(3).effectiveWarmupEpochs());
        assertThrows(IllegalArgumentException.class, () -> p.withEpochs(0));
        assertThrows(IllegalArgumentException.class, () -> p.withBatchSize(0));
    }

    @Test
    void warmupScalesDownForShortRuns() {
        TrainingRecipe p = TrainingRecipe.paperCifar10();
        assertEquals(10, p.withEpochs(320).effectiveWarmupEpochs());
        assertEquals(5, p.withEpochs(80).effectiveWarmupEpochs());
        assertEquals(1, p.withEpochs(20).effectiveWarmupEpochs());
        assertEquals(0, p.withEpochs(15).effectiveWarmupEpochs());
        CosineWarmupSchedule s = p.withEpochs(8).schedule();
        assertEquals(0, s.getWarmupEpochs());
        assertEquals(0.5 * 0.8 * (1 + Math.cos(Math.PI / 8)), s.valueAt(0, 0), 1e-16);
    }

    @Test
    void updaterUsesTheScheduleAndMomentum() {
        TorchSgd u = (TorchSgd) TrainingRecipe.paperStl10().updater();
        assertEquals(0.9, u.getMomentum(), 0.0);
        assertTrue(u.isNesterov());
        assertEquals(new CosineWarmupSchedule(0.1, 160, 10), u.getLearningRateSchedule());
        assertEquals(0.01, u.getLearningRate(0, 0), 1e-17);
        double e80 = 0.5 * 0.1 * (1 + Math.cos(Math.PI * 80 / 160));
        assertEquals(e80, u.getLearningRate(0, 79), 1e-16);
    }

    @Test
    void jsonRoundTrip() {
        TrainingRecipe r = TrainingRecipe.paperSvhn().withEpochs(30).withBatchSize(256).withLr(0.4);
        String json = r.toJson();
        assertTrue(json.contains("\"batchSize\":256"), json);
        TrainingRecipe back = TrainingRecipe.fromJson(json);
        assertEquals(r, back);
        assertEquals(r.hashCode(), back.hashCode());
    }
}
