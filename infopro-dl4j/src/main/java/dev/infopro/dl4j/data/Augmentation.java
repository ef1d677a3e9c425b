package dev.infopro.dl4j.data;

import lombok.Builder;
import lombok.Value;

/**
 * Training-time augmentation: a random crop of the original size from the image padded by {@link #cropPadding} on
 * every side (torchvision {@code RandomCrop(size, padding)}), then an optional horizontal flip with probability 0.5.
 */
@Value
@Builder(toBuilder = true)
public class Augmentation implements java.io.Serializable {
    private static final long serialVersionUID = 1L;

    /** How the border is filled before cropping. */
    public enum PadMode {
        /** Mirror without repeating the edge pixel (PyTorch/numpy "reflect"). */
        REFLECT,
        /** Fill with pixel value 0 (black before normalisation, as torchvision pads the PIL image). */
        ZERO
    }

    /** No augmentation. */
    public static final Augmentation NONE = Augmentation.builder().build();

    /** Padding on each side before the random crop; 0 disables cropping. */
    int cropPadding;
    /** Border fill for the crop padding. */
    @Builder.Default
    PadMode padMode = PadMode.ZERO;
    /** Whether to flip horizontally with probability 0.5. */
    boolean horizontalFlip;

    /** @return true if this augmentation changes nothing */
    public boolean isIdentity() {
        return cropPadding <= 0 && !horizontalFlip;
    }
}
