package dev.infopro.dl4j.cli;

import dev.infopro.dl4j.engine.LocalModuleGraph;
import dev.infopro.dl4j.training.EpochResult;
import dev.infopro.dl4j.training.TrainerListener;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.util.Locale;

/**
 * Shows each epoch's training progress (batches, rate, ETA, per-module loss) as a progress bar on stderr; when
 * switched off it shows nothing.
 */
final class ProgressDisplay implements TrainerListener {
    private final String label;
    private final int epochs;
    private final long batches;
    private final boolean enabled;
    private ProgressBar bar;

    /**
     * @param label   the run's label, shown before the epoch
     * @param epochs  the run's number of epochs
     * @param batches batches per epoch
     * @param enabled whether to show anything
     */
    ProgressDisplay(String label, int epochs, long batches, boolean enabled) {
        this.label = label;
        this.epochs = epochs;
        this.batches = batches;
        this.enabled = enabled;
    }

    @Override
    public void onEpochStart(LocalModuleGraph model, int epoch) {
        if (enabled) {
            bar = new ProgressBarBuilder().setTaskName(label + " epoch " + (epoch + 1) + "/" + epochs)
                    .setInitialMax(batches).setStyle(ProgressBarStyle.ASCII).setUnit(" batches", 1).showSpeed()
                    .setConsumer(new ConsoleProgressBarConsumer(System.err)).build();
        }
    }

    @Override
    public void onIteration(LocalModuleGraph model, int epoch, int iteration, double[] moduleScores) {
        if (bar == null) {
            return;
        }
        StringBuilder msg = new StringBuilder("loss");
        for (int m = 0; m < moduleScores.length; m++) {
            msg.append(String.format(Locale.ROOT, " m%d=%.3f", m + 1, moduleScores[m]));
        }
        bar.step();
        bar.setExtraMessage(msg.toString());
    }

    @Override
    public void onEpochResult(LocalModuleGraph model, EpochResult result) {
        close();
    }

    /** Closes the current bar, if any (also when training stopped with an exception). */
    void close() {
        if (bar != null) {
            bar.close();
            bar = null;
        }
    }
}
