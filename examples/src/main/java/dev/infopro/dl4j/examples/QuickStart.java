package dev.infopro.dl4j.examples;

import dev.infopro.dl4j.config.LocalLearning;
import dev.infopro.dl4j.data.DatasetSplits;
import dev.infopro.dl4j.data.Datasets;
import dev.infopro.dl4j.data.ImageDataSetIterator;
import dev.infopro.dl4j.engine.LocalModuleGraph;
import dev.infopro.dl4j.engine.ModelProvenance;
import dev.infopro.dl4j.models.CifarResNet;
import dev.infopro.dl4j.optim.CosineAnnealingSchedule;
import dev.infopro.dl4j.optim.TorchSgd;
import dev.infopro.dl4j.training.LocalTrainer;
import dev.infopro.dl4j.training.TrainingResult;
import org.deeplearning4j.nn.graph.ComputationGraph;

import java.io.File;

/**
 * The README's library example, runnable: InfoPro (Contrast) with K = 2 on a ResNet-8 over the embedded
 * Fashion-MNIST subset, then the plain ComputationGraph for deployment. Run with
 * {@code java -cp examples/target/infopro.jar dev.infopro.dl4j.examples.QuickStart}.
 */
public final class QuickStart {
    private QuickStart() {
    }

    /**
     * Runs the example (see the class comment).
     *
     * @param args none
     * @throws Exception when the data cannot be read or a file cannot be written
     */
    public static void main(String[] args) throws Exception {
        LocalModuleGraph local = train(2000, 2);
        File out = new File("quickstart-model.zip");
        ModelProvenance.writeModel(local, out); // the plain ComputationGraph, with how it was trained
        System.out.println("plain ComputationGraph written to " + out.getAbsolutePath());
    }

    /**
     * Trains InfoPro (Contrast), K = 2, on the first {@code trainImages} embedded training images for
     * {@code epochs} epochs, prints the accuracy on the 1,000 embedded test images and returns the model.
     */
    public static LocalModuleGraph train(int trainImages, int epochs) throws Exception {
        DatasetSplits data = Datasets.loadEmbeddedFashionMnist();
        data = data.toBuilder().train(data.getTrain().subset(trainImages)).build();

        ComputationGraph net = CifarResNet.builder().depth(8).channels(1).height(28).width(28).build().init();
        // The minimal drop-in: no input types (taken from the first batch), no lambdas (the library's defaults,
        // LambdaSchedule.defaultFor), no normalisation (read from the training iterator at the first batch)
        LocalModuleGraph local = LocalModuleGraph.builder(net)
                .cutAfter("s1b0")                                  // stem + first block | the rest
                .method(LocalLearning.infoProContrast())
                .updater(new TorchSgd(new CosineAnnealingSchedule(0.02, epochs)))
                .weightDecay(1e-4)
                .build();

        try (ImageDataSetIterator train = data.trainIterator(32, 42);
             ImageDataSetIterator test = data.testIterator(256)) {
            TrainingResult result = LocalTrainer.builder(local).train(train).test(test).epochs(epochs).build().fit();
            System.out.printf("test accuracy after %d epoch(s) on %d images: %.4f%n", epochs, trainImages,
                    result.last().getTestAccuracy());
        }
        return local;
    }
}
