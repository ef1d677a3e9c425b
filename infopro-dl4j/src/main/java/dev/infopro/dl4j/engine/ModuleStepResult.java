package dev.infopro.dl4j.engine;

import lombok.Value;
import org.nd4j.linalg.api.ndarray.INDArray;

/** What one module's {@link ModuleTrainer#computeGradient} produced. */
@Value
public class ModuleStepResult {
    /** The module's loss on the mini-batch. */
    double score;
    /** Null when the loss and every gradient entry are finite, else what was not (for messages). */
    String nonFinite;
    /** Detached copy of the cut activation h_k (null for the last module, or when non-finite). */
    INDArray cutActivation;

    /** Whether the loss and gradient are finite. */
    public boolean isFinite() {
        return nonFinite == null;
    }
}
