package dev.infopro.dl4j.engine;

import lombok.Value;

/** The result of one {@link ModuleExecutor#step}: the module losses, or the first module that was not finite. */
@Value
public class StepOutcome {
    /** Loss of each module; NaN for modules after a rejected one. */
    double[] scores;
    /** The first module whose loss or gradient was not finite, or -1 when the batch was accepted. */
    int rejectedModule;
    /** What was not finite, or null. */
    String nonFinite;
    /** Wall-clock seconds each module spent on the batch (its step and update); 0 for modules that did not run. */
    double[] moduleSeconds;

    /** An outcome without timings. */
    public StepOutcome(double[] scores, int rejectedModule, String nonFinite) {
        this(scores, rejectedModule, nonFinite, new double[scores.length]);
    }

    /** An outcome with each module's time. */
    public StepOutcome(double[] scores, int rejectedModule, String nonFinite, double[] moduleSeconds) {
        this.scores = scores;
        this.rejectedModule = rejectedModule;
        this.nonFinite = nonFinite;
        this.moduleSeconds = moduleSeconds;
    }

    /** Whether every module was updated. */
    public boolean isAccepted() {
        return rejectedModule < 0;
    }
}
