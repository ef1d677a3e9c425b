package dev.infopro.dl4j.data;

import lombok.Builder;
import lombok.NonNull;
import lombok.Value;

/**
 * A dataset ready for training: train and test splits with the dataset's standard normalisation (used for both) and
 * training augmentation (test images are only normalised).
 */
@Value
@Builder(toBuilder = true)
public class DatasetSplits {
    /** Canonical dataset name, e.g. {@code "cifar10"}. */
    @NonNull String name;
    /** Training split. */
    @NonNull ImageDataset train;
    /** Test split. */
    @NonNull ImageDataset test;
    /** Normalisation for both splits. */
    @NonNull Normalization normalization;
    /** Augmentation for the training split. */
    @NonNull Augmentation trainAugmentation;

    /**
     * @param batchSize batch size
     * @param seed      seed for shuffling and augmentation
     * @return a shuffled, augmented, normalised iterator over the training split
     */
    public ImageDataSetIterator trainIterator(int batchSize, long seed) {
        return ImageDataSetIterator.builder().dataset(train).batchSize(batchSize).seed(seed).shuffle(true)
                .augmentation(trainAugmentation).normalization(normalization).build();
    }

    /**
     * @param batchSize batch size
     * @return an unshuffled, unaugmented, normalised iterator over the test split
     */
    public ImageDataSetIterator testIterator(int batchSize) {
        return ImageDataSetIterator.builder().dataset(test).batchSize(batchSize).seed(0).shuffle(false)
                .augmentation(Augmentation.NONE).normalization(normalization).build();
    }
}
