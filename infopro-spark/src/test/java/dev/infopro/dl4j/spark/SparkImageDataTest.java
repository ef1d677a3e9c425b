package dev.infopro.dl4j.spark;

import dev.infopro.dl4j.data.ImageDataset;
import org.apache.spark.api.java.JavaRDD;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The two ways to make the records' RDD put the same records in the same partitions. */
class SparkImageDataTest {

    /** Per partition, the record indices it holds, sorted. */
    private static List<List<Long>> indices(JavaRDD<ImageRecord> rdd) {
        List<List<Long>> out = new ArrayList<>();
        for (List<ImageRecord> part : rdd.glom().collect()) {
            List<Long> idx = new ArrayList<>();
            part.stream().sorted(Comparator.comparingLong(ImageRecord::getIndex)).forEach(r -> idx.add(r.getIndex()));
            out.add(idx);
        }
        return out;
    }

    @Test
    void driverPartitionSendsRecordIToPartitionIModWorkers() {
        ImageDataset data = SparkTestSupport.synthetic(10);
        List<List<Long>> parts = indices(SparkImageData.partition(SparkTestSupport.spark(), data, 3));
        assertEquals(List.of(List.of(0L, 3L, 6L, 9L), List.of(1L, 4L, 7L), List.of(2L, 5L, 8L)), parts);
        ImageRecord r4 = SparkImageData.records(data).get(4);
        assertEquals(data.labels()[4], r4.getLabel());
        assertEquals(data.pixels()[4 * data.imageSize() + 5], r4.getPixels()[5]);
        assertThrows(IllegalArgumentException.class, () -> SparkImageData.partition(SparkTestSupport.spark(), data, 0));
    }

    @Test
    void executorsReadingTheFilesGetWhatTheDriverWouldHaveSent() {
        // "fashion-mnist" without DIR is the embedded subset: on the classpath of every local executor
        ImageDataset train = SparkImageData.loadTrain("fashion-mnist", 90, 7);
        assertEquals(90, train.size());
        JavaRDD<ImageRecord> read = SparkImageData.readOnExecutors(SparkTestSupport.spark(), "fashion-mnist", 2, 90, 7);
        JavaRDD<ImageRecord> sent = SparkImageData.partition(SparkTestSupport.spark(), train, 2);
        assertEquals(indices(sent), indices(read));
        List<ImageRecord> a = new ArrayList<>(read.collect());
        List<ImageRecord> b = new ArrayList<>(sent.collect());
        a.sort(Comparator.comparingLong(ImageRecord::getIndex));
        b.sort(Comparator.comparingLong(ImageRecord::getIndex));
        for (int i = 0; i < a.size(); i++) {
            assertEquals(b.get(i).getLabel(), a.get(i).getLabel());
            assertArrayEquals(b.get(i).getPixels(), a.get(i).getPixels());
        }
    }
}
