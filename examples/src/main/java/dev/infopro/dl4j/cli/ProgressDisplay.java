package dev.infopro.dl4j.cli;

import dev.infopro.dl4j.engine.LocalTrainingListener;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.util.Locale;

/**
 * Shows training progress (batches, rate, ETA, per-module loss) on stderr and accumulates each module's mean
 * loss over the epoch. Without a bar it only accumulates.
 */
final class ProgressDisplay implements LocalTrainingListener, AutoCloseable {
    private final ProgressBar bar;
    private final double[] sums;
    private int count;

    /** With a progress bar of {@code batches} steps. */
    ProgressDisplay(String task, long batches, int modules) {
        this.bar = new ProgressBarBuilder().setTaskName(task).setInitialMax(batches)
                .setStyle(ProgressBarStyle.ASCII).setUnit(" batches", 1).showSpeed()
                .setConsumer(new ConsoleProgressBarConsumer(System.err)).build();
        this.sums = new double[modules];
    }

    /** Without a progress bar. */
    ProgressDisplay(int modules) {
        this.bar = null;
        this.sums = new double[modules];
    }

    @Override
    public void onIteration(int epoch, int iteration, double[] moduleScores) {
        StringBuilder msg = new StringBuilder("loss");
        for (int m = 0; m < moduleScores.length && m < sums.length; m++) {
            sums[m] += moduleScores[m];
            msg.append(String.format(Locale.ROOT, " m%d=%.3f", m + 1, moduleScores[m]));
        }
        count++;
        if (bar != null) {
            bar.step();
            bar.setExtraMessage(msg.toString());
        }
    }

    /** Mean loss of each module over the iterations seen. */
    double[] meanScores() {
        double[] mean = new double[sums.length];
        for (int m = 0; m < sums.length; m++) {
            mean[m] = count == 0 ? Double.NaN : sums[m] / count;
        }
        return mean;
    }

    @Override
    public void close() {
        if (bar != null) {
            bar.close();
        }
    }
}
