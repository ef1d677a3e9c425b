package dev.infopro.dl4j.data;

import lombok.Value;

/**
 * The resumable state of an {@link ImageDataSetIterator}: with the same dataset and settings, restoring it continues
 * with exactly the batches (order and augmentation) that an uninterrupted run would have produced.
 */
@Value
public class IteratorState {
    /** The iterator's seed. */
    long seed;
    /** The current epoch, 0-based. */
    int epoch;
    /** Number of samples of the current epoch already returned. */
    int position;
}
