package dev.infopro.dl4j.heads;

/** How an {@link AuxClassifierHead} estimates I(h, y) (docs/method.md §1.3). */
public enum HeadLoss {
    /** "InfoPro (Softmax)": class scores, softmax cross-entropy against one-hot labels. */
    SOFTMAX,
    /** "InfoPro (Contrast)": a {@code featureDim} projection trained with single-view SupCon (docs/method.md §2.5). */
    CONTRAST
}
