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
 * Shows each epoch's training progress on stderr: on a terminal ({@link Screen#isTerminal()}) a progress bar
 * (batches, rate, ETA, per-module loss); otherwise (CI, pipes, log files) one plain line per epoch with its mean
 * module losses, test accuracy and time. When switched off it shows nothing.
 */
final class ProgressDisplay implements TrainerListener {
    private final String label;
    private final int epochs;
    private final long batches;
    private final boolean enabled;
    private final boolean terminal;
    private ProgressBar bar;

    /**
     * @param label   the run's label, shown before the epoch
     * @param epochs  the run's number of epochs
     * @param batches batches per epoch
     * @param enabled whether to show anything
     */
    ProgressDisplay(String label, int epochs, long batches, boolean enabled) {
        this(label, epochs, batches, enabled, Screen.isTerminal());
    }

    /** As above, with {@code terminal} saying whether to draw bars (true) or print one line per epoch (false). */
    ProgressDisplay(String label, int epochs, long batches, boolean enabled, boolean terminal) {
        this.label = label;
        this.epochs = epochs;
        this.batches = batches;
        this.enabled = enabled;
        this.terminal = terminal;
    }

    @Override
    public void onEpochStart(LocalModuleGraph model, int epoch) {
        if (enabled && terminal) {
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
        StringBuilder msg = new StringBuilder(" loss"); // the bar prints it right after its speed
        for (int m = 0; m < moduleScores.length; m++) {
            msg.append(String.format(Locale.ROOT, " m%d=%.3f", m + 1, moduleScores[m]));
        }
        bar.step();
        bar.setExtraMessage(msg.toString());
    }

    @Override
    public void onEpochResult(LocalModuleGraph model, EpochResult result) {
        close();
        if (enabled && !terminal) {
            System.err.println(epochLine(label, epochs, result));
        }
    }

    /** The plain line of one epoch, e.g. {@code e2e epoch 2/5: loss m1=1.234, test accuracy 0.6120, 12.3 s}. */
    static String epochLine(String label, int epochs, EpochResult result) {
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%s epoch %d/%d: loss", label,
                result.getEpoch(), epochs));
        double[] losses = result.getMeanModuleScores();
        for (int m = 0; m < losses.length; m++) {
            line.append(String.format(Locale.ROOT, " m%d=%.3f", m + 1, losses[m]));
        }
        return line.append(String.format(Locale.ROOT, ", test accuracy %.4f, %.1f s", result.getTestAccuracy(),
                result.getSeconds())).toString();
    }

    /** Closes the current bar, if any (also when training stopped with an exception). */
    void close() {
        if (bar != null) {
            bar.close();
            bar = null;
        }
    }
}
