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

    /** Whether every module was updated. */
    public boolean isAccepted() {
        return rejectedModule < 0;
    }
}
