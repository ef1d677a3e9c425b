package dev.infopro.dl4j.examples;

import dev.infopro.dl4j.config.LocalLearning;
import dev.infopro.dl4j.data.Datasets;
import dev.infopro.dl4j.data.DatasetSplits;
import dev.infopro.dl4j.data.ImageDataSetIterator;
import dev.infopro.dl4j.heads.SameDiffLayers;
import dev.infopro.dl4j.optim.TorchSgd;
import dev.infopro.dl4j.samediff.SameDiffLocalModel;
import dev.infopro.dl4j.samediff.SameDiffNetwork;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

import java.io.File;

/**
 * docs/samediff.md's example, runnable: a small CNN written as SameDiff units, trained with InfoPro (Contrast) as
 * K = 2 local modules on the embedded Fashion-MNIST subset, then exported as one plain SameDiff graph. Run with
 * {@code java -cp examples/target/infopro.jar dev.infopro.dl4j.examples.SameDiffQuickStart}.
 */
public final class SameDiffQuickStart {
    private SameDiffQuickStart() {
    }

    /**
     * Runs the example (see the class comment).
     *
     * @param args none
     * @throws Exception when the data cannot be read or a file cannot be written
     */
    public static void main(String[] args) throws Exception {
        SameDiffLocalModel local = train(2000, 2);
        File out = new File("samediff-quickstart.fb");
        local.toSameDiff().save(out, true); // SameDiff's own format; SameDiff.load(out, true) reads it
        System.out.println("plain SameDiff graph written to " + out.getAbsolutePath());
    }

    /** The user's network: two conv-BN-ReLU blocks and a classifier, each a named unit (the cut points). */
    public static SameDiffNetwork network() {
        return SameDiffNetwork.builder(1, 28, 28, 10)
                .unit("block1", (sd, x, training) -> convBnRelu(sd, x, "b1", 1, 16, 1, training))
                .unit("block2", (sd, x, training) -> convBnRelu(sd, x, "b2", 16, 32, 2, training))
                .unit("classifier", (sd, x, training) -> SameDiffLayers.dense(sd, x.mean(2, 3), "fc", 32, 10))
                .build();
    }

    private static SDVariable convBnRelu(SameDiff sd, SDVariable x, String name, long in, long out, int stride,
                                         boolean training) {
        SDVariable c = SameDiffLayers.conv(sd, x, name + "_conv", in, out, 3, stride, false);
        return sd.nn.relu(SameDiffLayers.batchNorm(sd, c, name + "_bn", out, training), 0.0);
    }

    /** Trains K = 2 (cut after block1) on {@code trainImages} images and prints the test accuracy. */
    public static SameDiffLocalModel train(int trainImages, int epochs) throws Exception {
        return trainOnFashionMnist(network(), "block1", trainImages, epochs);
    }

    /**
     * Trains {@code net} cut after {@code cut} (K = 2) with InfoPro (Contrast) on the first {@code trainImages}
     * embedded Fashion-MNIST training images, and prints the test accuracy.
     */
    public static SameDiffLocalModel trainOnFashionMnist(SameDiffNetwork net, String cut, int trainImages, int epochs)
            throws Exception {
        DatasetSplits data = Datasets.loadEmbeddedFashionMnist();
        data = data.toBuilder().train(data.getTrain().subset(trainImages)).build();
        try (ImageDataSetIterator train = data.trainIterator(32, 42);
             ImageDataSetIterator test = data.testIterator(256)) {
            SameDiffLocalModel local = SameDiffLocalModel.builder(net)
                    .cutAfter(cut)
                    .method(LocalLearning.infoProContrast())
                    .inputNormalization(train.getNormalization()) // the decoder rebuilds the image in [0, 1]
                    .updater(new TorchSgd(0.02))
                    .weightDecay(1e-4)
                    .seed(42)
                    .build();
            local.fit(train, epochs);
            System.out.printf("test accuracy after %d epoch(s) on %d images: %.4f%n", epochs, trainImages,
                    local.evaluate(test).accuracy());
            return local;
        }
    }
}
