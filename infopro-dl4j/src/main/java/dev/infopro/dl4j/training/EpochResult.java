package dev.infopro.dl4j.training;

import lombok.AccessLevel;
import lombok.AllArgsConstructor;
import lombok.NoArgsConstructor;
import lombok.Value;

/** What one epoch of {@link LocalTrainer} measured. JSON-serialisable (it is kept in checkpoints). */
@Value
@AllArgsConstructor
@NoArgsConstructor(access = AccessLevel.PRIVATE, force = true)
public class EpochResult {
    /** The 1-based number of the epoch. */
    int epoch;
    /** Mean loss of each module over the epoch's mini-batches (NaN for an epoch without batches). */
    double[] meanModuleScores;
    /** Accuracy on the test data after the epoch, or NaN when the trainer has no test data. */
    double testAccuracy;
    /** Wall-clock seconds of the epoch's training (evaluation excluded). */
    double seconds;
    /** Peak resident memory of the process during the epoch's training, or -1 where the OS does not report it. */
    long peakRssBytes;
}
