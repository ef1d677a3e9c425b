package dev.infopro.dl4j.examples;

import dev.infopro.dl4j.config.LambdaSchedule;
import dev.infopro.dl4j.config.LocalLearning;
import dev.infopro.dl4j.data.DatasetSplits;
import dev.infopro.dl4j.data.Datasets;
import dev.infopro.dl4j.data.ImageDataSetIterator;
import dev.infopro.dl4j.engine.LocalModuleGraph;
import dev.infopro.dl4j.models.CifarResNet;
import dev.infopro.dl4j.optim.CosineAnnealingSchedule;
import dev.infopro.dl4j.optim.TorchSgd;
import dev.infopro.dl4j.training.LocalTrainer;
import dev.infopro.dl4j.training.TrainingResult;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;

import java.io.File;

/**
 * The README's library example, runnable: InfoPro (Contrast) with K = 2 on a ResNet-8 over the embedded
 * Fashion-MNIST subset, then the plain ComputationGraph for deployment. Run with
 * {@code java -cp examples/target/infopro.jar dev.infopro.dl4j.examples.QuickStart}.
 */
public final class QuickStart {
    private QuickStart() {
    }

    public static void main(String[] args) throws Exception {
        LocalModuleGraph local = train(2000, 2);
        ComputationGraph plain = local.toComputationGraph();
        File out = new File("quickstart-model.zip");
        ModelSerializer.writeModel(plain, out, false);
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
        LocalModuleGraph local = LocalModuleGraph.builder(net)
                .inputTypes(InputType.convolutional(28, 28, 1))
                .cutAfter("s1b0")                                  // stem + first block | the rest
                .method(LocalLearning.infoProContrast())
                .lambdas(LambdaSchedule.linear(5, 1, 0, 0))        // the reference's K = 2 values
                .inputNormalization(data.getNormalization())      // the decoder rebuilds x * std + mean
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
