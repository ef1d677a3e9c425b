package dev.infopro.dl4j.spark;

import lombok.Value;

import java.io.Serializable;

/**
 * One image of a dataset as an RDD element: its position in the dataset (which orders a partition, so that every run
 * and every retried task sees the same shard in the same order), its pixels ({@code channels x height x width}
 * unsigned bytes, as {@link dev.infopro.dl4j.data.ImageDataset} keeps them) and its class.
 */
@Value
public class ImageRecord implements Serializable {
    private static final long serialVersionUID = 1L;

    /** 0-based position in the dataset. */
    long index;
    /** Unsigned pixel bytes, channel-major. */
    byte[] pixels;
    /** 0-based class. */
    int label;
}
