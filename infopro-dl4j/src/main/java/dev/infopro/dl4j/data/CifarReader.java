package dev.infopro.dl4j.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Reader for the CIFAR-10 and CIFAR-100 binary versions. Each record is the label byte(s) followed by 3072 pixel
 * bytes, 32x32 red then green then blue plane (already CHW). CIFAR-10 has one label byte; CIFAR-100 has a coarse
 * and a fine label byte, of which the fine one (100 classes) is used.
 */
public final class CifarReader {
    /** Pixel bytes per record (3 x 32 x 32). */
    public static final int IMAGE_BYTES = 3 * 32 * 32;

    private CifarReader() {
    }

    /**
     * Reads CIFAR-10 binary batch files and concatenates them in the given order.
     *
     * @param name       dataset name
     * @param classNames class names or {@code null}
     * @param files      batch files, e.g. {@code data_batch_1.bin .. data_batch_5.bin}
     * @return the dataset (10 classes)
     * @throws DatasetFormatException if a file is missing, not a whole number of records, or has a bad label
     */
    public static ImageDataset readCifar10(String name, List<String> classNames, List<Path> files)
            throws IOException {
        return read(name, classNames, files, 1, 0, 10);
    }

    /**
     * Reads CIFAR-100 binary files using the fine labels.
     *
     * @param name       dataset name
     * @param classNames fine class names or {@code null}
     * @param files      files, e.g. {@code train.bin}
     * @return the dataset (100 classes)
     * @throws DatasetFormatException if a file is missing, not a whole number of records, or has a bad label
     */
    public static ImageDataset readCifar100(String name, List<String> classNames, List<Path> files)
            throws IOException {
        return read(name, classNames, files, 2, 1, 100);
    }

    private static ImageDataset read(String name, List<String> classNames, List<Path> files, int labelBytes,
                                     int labelIndex, int numClasses) throws IOException {
        int record = labelBytes + IMAGE_BYTES;
        byte[][] contents = new byte[files.size()][];
        long total = 0;
        for (int f = 0; f < files.size(); f++) {
            Path file = files.get(f);
            byte[] b = DataFiles.readFile(file);
            if (b.length == 0 || b.length % record != 0) {
                throw new DatasetFormatException(file + ": expected a whole number of " + record
                        + "-byte records (" + labelBytes + " label byte(s) + 3072 pixels), found " + b.length
                        + " bytes");
            }
            contents[f] = b;
            total += b.length / record;
        }
        if (total * IMAGE_BYTES > DataFiles.MAX_BYTES) {
            throw new DatasetFormatException(name + ": " + total + " images do not fit into one array");
        }
        int n = (int) total;
        byte[] pixels = new byte[n * IMAGE_BYTES];
        int[] labels = new int[n];
        int i = 0;
        for (int f = 0; f < contents.length; f++) {
            byte[] b = contents[f];
            for (int off = 0; off < b.length; off += record, i++) {
                int label = b[off + labelIndex] & 0xff;
                if (label >= numClasses) {
                    throw new DatasetFormatException(files.get(f) + ": expected labels in [0, " + numClasses
                            + "), found " + label + " in record " + (off / record));
                }
                if (labelBytes == 2 && (b[off] & 0xff) >= 20) {
                    // The coarse label is unused, but a value outside its 20 classes means the record is misaligned.
                    throw new DatasetFormatException(files.get(f) + ": expected coarse labels in [0, 20), found "
                            + (b[off] & 0xff) + " in record " + (off / record));
                }
                labels[i] = label;
                System.arraycopy(b, off + labelBytes, pixels, i * IMAGE_BYTES, IMAGE_BYTES);
            }
            contents[f] = null; // let the raw file go before the next one is processed
        }
        return new ImageDataset(name, pixels, labels, numClasses, 3, 32, 32, classNames);
    }
}
