package dev.infopro.dl4j.spark;

import dev.infopro.dl4j.data.ImageDataset;
import lombok.Value;

import java.io.Serializable;
import java.util.List;

/**
 * What the records of an RDD are: image size and number of classes, enough for an executor to rebuild its shard as
 * an {@link ImageDataset} and feed it through the library's {@link dev.infopro.dl4j.data.ImageDataSetIterator}.
 */
@Value
public class RecordLayout implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Dataset name, for messages. */
    String name;
    /** Channels of an image. */
    int channels;
    /** Height of an image in pixels. */
    int height;
    /** Width of an image in pixels. */
    int width;
    /** Number of classes; labels are 0 to numClasses - 1. */
    int numClasses;

    /** The layout of {@code dataset}'s images. */
    public static RecordLayout of(ImageDataset dataset) {
        return new RecordLayout(dataset.name(), dataset.channels(), dataset.height(), dataset.width(),
                dataset.numClasses());
    }

    /** The records as a dataset, in the order given. */
    ImageDataset dataset(List<ImageRecord> records) {
        int size = channels * height * width;
        byte[] pixels = new byte[records.size() * size];
        int[] labels = new int[records.size()];
        for (int i = 0; i < records.size(); i++) {
            ImageRecord r = records.get(i);
            if (r.getPixels().length != size) {
                throw new IllegalArgumentException("Record " + r.getIndex() + " has " + r.getPixels().length
                        + " pixel bytes, the layout " + this + " needs " + size);
            }
            System.arraycopy(r.getPixels(), 0, pixels, i * size, size);
            labels[i] = r.getLabel();
        }
        return new ImageDataset(name, pixels, labels, numClasses, channels, height, width, null);
    }
}
