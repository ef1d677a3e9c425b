package dev.infopro.dl4j.cli;

import dev.infopro.dl4j.optim.CosineAnnealingSchedule;
import dev.infopro.dl4j.optim.CosineWarmupSchedule;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

/** How --recipe, --epochs, --batch, --lr and --schedule combine into a run. */
class RunOptionsTest {
    private static ExperimentSpec parse(String... args) {
        TrainCommand cmd = new TrainCommand();
        new CommandLine(cmd).parseArgs(args);
        return cmd.run.spec(Method.INFOPRO_CONTRAST, 2);
    }

    @Test
    void recipePresetsGiveThePapersBatchLearningRateEpochsAndSchedule() {
        ExperimentSpec stl = parse("--recipe", "paper-stl10", "--out", "x");
        assertEquals(128, stl.getBatch());
        assertEquals(0.1, stl.getLr());
        assertEquals(160, stl.getEpochs());
        assertEquals("paper", stl.getSchedule());
        ExperimentSpec c10 = parse("--recipe", "paper-cifar10", "--out", "x");
        assertEquals(1024, c10.getBatch());
        assertEquals(0.8, c10.getLr());
        CosineWarmupSchedule s = (CosineWarmupSchedule) Experiment.schedule(c10);
        assertEquals(0.01, s.valueAt(0, 0), 1e-12);              // docs/method.md §3: e = 1 runs at 0.01
        assertEquals(0.0, s.valueAt(0, 159), 1e-12);             // and the last epoch runs at lr 0
    }

    @Test
    void explicitOptionsOverrideTheRecipeAndShortRunsDefaultToCosine() {
        ExperimentSpec s = parse("--recipe", "paper-cifar10", "--epochs", "3", "--batch", "64", "--lr", "0.05",
                "--schedule", "cosine", "--out", "x");
        assertEquals(3, s.getEpochs());
        assertEquals(64, s.getBatch());
        assertEquals(0.05, s.getLr());
        ExperimentSpec d = parse("--out", "x");
        assertEquals(1, d.getEpochs());
        assertEquals(128, d.getBatch());
        assertEquals(0.1, d.getLr());
        assertInstanceOf(CosineAnnealingSchedule.class, Experiment.schedule(d));
        assertEquals(0.1, Experiment.schedule(d).valueAt(0, 0), 0, "a one-epoch run trains at lr0, not at lr 0");
    }
}
