package dev.infopro.dl4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetsTest {
    @TempDir
    Path dir;

    @Test
    void unknownNameListsKnownOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Datasets.load("imagenet:/x"));
        for (String k : Datasets.KNOWN) {
            assertTrue(e.getMessage().contains(k), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> Datasets.load("cifar10"));
        assertThrows(IllegalArgumentException.class, () -> Datasets.load(" "));
        DatasetFormatException missing = assertThrows(DatasetFormatException.class,
                () -> Datasets.load("svhn:" + dir.resolve("nope")));
        assertTrue(missing.getMessage().contains("nope"), missing.getMessage());
    }

    @Test
    void embeddedSubsetAbsentFromLibraryClasspathGivesAdvice() throws IOException {
        // The subset ships with the examples module, which is not on this module's test classpath.
        Assumptions.assumeTrue(Datasets.class.getResource(Datasets.EMBEDDED_FASHION_MNIST
                + "train-images-idx3-ubyte.gz") == null);
        DatasetFormatException e = assertThrows(DatasetFormatException.class, () -> Datasets.load("fashion-mnist"));
        assertTrue(e.getMessage().contains("examples jar") && e.getMessage().contains("fashion-mnist:DIR"),
                e.getMessage());
    }

    @Test
    void cifar10FromArchiveFolderWithStandardRecipe() throws IOException {
        Path sub = Files.createDirectories(dir.resolve("cifar-10-batches-bin"));
        for (int i = 1; i <= 5; i++) {
            TestFiles.write(sub, "data_batch_" + i + ".bin", TestFiles.cifar(new int[]{i, i + 1}, 1, 0));
        }
        TestFiles.write(sub, "test_batch.bin", TestFiles.cifar(new int[]{7}, 1, 0));
        DatasetSplits s = Datasets.load("cifar10:" + dir);
        assertEquals(10, s.getTrain().size());
        assertArrayEquals(new int[]{1, 2, 2, 3, 3, 4, 4, 5, 5, 6}, s.getTrain().labels());
        assertArrayEquals(new int[]{7}, s.getTest().labels());
        assertEquals("airplane", s.getTrain().classNames().get(0));
        assertArrayEquals(new float[]{125.3f / 255f, 123.0f / 255f, 113.9f / 255f}, s.getNormalization().mean());
        assertArrayEquals(new float[]{63.0f / 255f, 62.1f / 255f, 66.7f / 255f}, s.getNormalization().std());
        assertEquals(4, s.getTrainAugmentation().getCropPadding());
        assertEquals(Augmentation.PadMode.REFLECT, s.getTrainAugmentation().getPadMode());
        assertTrue(s.getTrainAugmentation().isHorizontalFlip());
        try (ImageDataSetIterator test = s.testIterator(8)) {
            assertTrue(test.getAugmentation().isIdentity());
            assertEquals(s.getNormalization(), test.getNormalization());
        }
    }

    @Test
    void cifar100SvhnStl10Recipes() throws IOException {
        Path c100 = Files.createDirectories(dir.resolve("c100"));
        TestFiles.write(c100, "train.bin", TestFiles.cifar(new int[]{42, 99}, 2, 0));
        TestFiles.write(c100, "test.bin", TestFiles.cifar(new int[]{3}, 2, 0));
        DatasetSplits a = Datasets.load("cifar100:" + c100);
        assertEquals(100, a.getTrain().numClasses());
        assertArrayEquals(new int[]{42, 99}, a.getTrain().labels());

        Path svhn = Files.createDirectories(dir.resolve("svhn"));
        TestFiles.write(svhn, "train_32x32.mat", TestFiles.svhnMat(new int[]{10, 2}, true, false));
        TestFiles.write(svhn, "test_32x32.mat", TestFiles.svhnMat(new int[]{4}, false, true));
        DatasetSplits b = Datasets.load("svhn:" + svhn);
        assertArrayEquals(new int[]{0, 2}, b.getTrain().labels());
        assertArrayEquals(new float[]{0.5f, 0.5f, 0.5f}, b.getNormalization().mean());
        assertArrayEquals(new float[]{0.5f, 0.5f, 0.5f}, b.getNormalization().std());
        assertEquals(Datasets.svhnAugmentation(), b.getTrainAugmentation());
        assertEquals(2, b.getTrainAugmentation().getCropPadding());
        assertEquals(Augmentation.PadMode.ZERO, b.getTrainAugmentation().getPadMode());
        assertFalse(b.getTrainAugmentation().isHorizontalFlip());

        Path stl = Files.createDirectories(dir.resolve("stl/stl10_binary"));
        TestFiles.write(stl, "train_X.bin", TestFiles.stlImages(2));
        TestFiles.write(stl, "train_y.bin", new byte[]{3, 10});
        TestFiles.write(stl, "test_X.bin", TestFiles.stlImages(1));
        TestFiles.write(stl, "test_y.bin", new byte[]{1});
        DatasetSplits c = Datasets.load("stl10:" + dir.resolve("stl"));
        assertArrayEquals(new int[]{2, 9}, c.getTrain().labels());
        assertEquals("truck", c.getTrain().classNames().get(9));
        assertEquals(4, c.getTrainAugmentation().getCropPadding());
        assertEquals(Augmentation.PadMode.ZERO, c.getTrainAugmentation().getPadMode());
        assertTrue(c.getTrainAugmentation().isHorizontalFlip());
        try (ImageDataSetIterator it = c.trainIterator(2, 1)) {
            assertArrayEquals(new long[]{2, 3, 96, 96}, it.next().getFeatures().shape());
        }
    }

    @Test
    void mnistNormalisationIsComputedFromTraining() throws IOException {
        // Two 1x2 images with pixels {0, 255} and {255, 255}: mean 0.75, population std sqrt(3)/4.
        byte[] img = new byte[16 + 4];
        java.nio.ByteBuffer.wrap(img).putInt(2051).putInt(2).putInt(1).putInt(2);
        img[16] = 0;
        img[17] = (byte) 255;
        img[18] = (byte) 255;
        img[19] = (byte) 255;
        TestFiles.write(dir, "train-images-idx3-ubyte", img);
        TestFiles.write(dir, "train-labels-idx1-ubyte", TestFiles.idxLabels(new int[]{1, 2}));
        TestFiles.write(dir, "t10k-images.idx3-ubyte", img);
        TestFiles.write(dir, "t10k-labels.idx1-ubyte", TestFiles.idxLabels(new int[]{3, 4}));
        DatasetSplits s = Datasets.load("mnist:" + dir);
        assertEquals(0.75f, s.getNormalization().mean()[0], 1e-7f);
        assertEquals((float) (Math.sqrt(3) / 4), s.getNormalization().std()[0], 1e-7f);
        assertTrue(s.getTrainAugmentation().isIdentity());
        assertArrayEquals(new int[]{3, 4}, s.getTest().labels());
    }

    @Test
    void realFashionMnistDirectory() throws IOException {
        Path fm = TestFiles.fashionMnistDir();
        Assumptions.assumeTrue(fm != null, "shared/data/fashion-mnist not found");
        DatasetSplits s = Datasets.load("fashion-mnist:" + fm);
        assertEquals(60_000, s.getTrain().size());
        assertEquals(10_000, s.getTest().size());
        assertArrayEquals(new int[]{9, 2, 1, 1, 6}, Arrays.copyOf(s.getTest().labels(), 5));
        assertEquals(Datasets.FASHION_MNIST_MEAN, s.getNormalization().mean()[0]);
        assertEquals(Datasets.FASHION_MNIST_STD, s.getNormalization().std()[0]);
        // The fixed constants are the training-set statistics.
        Normalization computed = Normalization.fromDataset(s.getTrain());
        assertEquals(Datasets.FASHION_MNIST_MEAN, computed.mean()[0], 1e-6f);
        assertEquals(Datasets.FASHION_MNIST_STD, computed.std()[0], 1e-6f);
        assertEquals(List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
                "Bag", "Ankle boot"), s.getTrain().classNames());
    }
}
