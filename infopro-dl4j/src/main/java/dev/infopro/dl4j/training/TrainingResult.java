package dev.infopro.dl4j.training;

import lombok.Value;

import java.util.List;

/** What a {@link LocalTrainer} run did: every epoch's result (earlier runs of a resumed training included). */
@Value
public class TrainingResult {
    /** One result per epoch trained so far, in order. */
    List<EpochResult> epochs;
    /** Whether early stopping ended the run before the last epoch. */
    boolean stoppedEarly;

    /** The last epoch's result. */
    public EpochResult last() {
        return epochs.get(epochs.size() - 1);
    }
}
