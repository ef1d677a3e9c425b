import dev.infopro.dl4j.backend.IdleNativeThreads;
import dev.infopro.dl4j.config.LambdaSchedule;
import dev.infopro.dl4j.config.LocalLearning;
import dev.infopro.dl4j.config.SplitStrategy;
import dev.infopro.dl4j.data.DatasetSplits;
import dev.infopro.dl4j.data.Datasets;
import dev.infopro.dl4j.data.ImageDataSetIterator;
import dev.infopro.dl4j.engine.LocalModuleGraph;
import dev.infopro.dl4j.engine.LocalModuleGraphBuilder;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * E2E, Greedy SL and InfoPro on a network without batch norm (docs/benchmarks/no-batch-norm.md): a LeNet-style
 * MultiLayerNetwork with the user's own Nesterovs(0.01, 0.9) and Xavier init, on the embedded Fashion-MNIST subset
 * (3,000 training images, 1 epoch, batch 64, the 1,000 test images), several seeds, in one JVM. InfoPro runs with the
 * library's default lambdas and with the reference's (5, 1) / (6, 0)..(1, 2) given explicitly, which is what the
 * default was before modules without batch norm got theirs scaled to sum 1. Also prints the norm of the first
 * layer's gradient under each local loss at initialisation. With a second argument {@code ablation} it runs InfoPro
 * K = 2 with each local loss alone instead. Run from the repository root after building the jar:
 *
 * <pre>
 * java -Dorg.bytedeco.javacpp.platform.extension=-onednn-avx2 -cp examples/target/infopro.jar \
 *     benchmarks/NoBatchNorm.java [seeds, default 1,2,3] [ablation]
 * </pre>
 */
public class NoBatchNorm {
    static final int TRAIN = 3000;
    static final int BATCH = 64;

    static MultiLayerNetwork lenet(long seed) {
        MultiLayerConfiguration c = new NeuralNetConfiguration.Builder().seed(seed).updater(new Nesterovs(0.01, 0.9))
                .weightInit(WeightInit.XAVIER).list()
                .layer(new ConvolutionLayer.Builder(5, 5).nOut(20).activation(Activation.RELU).build())
                .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2)
                        .build())
                .layer(new ConvolutionLayer.Builder(5, 5).nOut(50).activation(Activation.RELU).build())
                .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2)
                        .build())
                .layer(new DenseLayer.Builder().nOut(500).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.NEGATIVELOGLIKELIHOOD).nOut(10)
                        .activation(Activation.SOFTMAX).build())
                .setInputType(InputType.convolutionalFlat(28, 28, 1)).build();
        MultiLayerNetwork n = new MultiLayerNetwork(c);
        n.init();
        return n;
    }

    /** A configuration: method, K, explicit lambdas or null for the library's default. */
    record Config(String label, String method, int k, LambdaSchedule lambdas) {
        LocalModuleGraphBuilder builder(MultiLayerNetwork net, DatasetSplits data) {
            LocalModuleGraphBuilder b = LocalModuleGraph.builder(net);
            switch (method) {
                case "e2e" -> b.method(LocalLearning.endToEnd());
                case "greedy" -> b.method(LocalLearning.greedy());
                default -> b.method(LocalLearning.infoProContrast()).inputNormalization(data.getNormalization());
            }
            if (k > 1) {
                b.modules(k, SplitStrategy.EQUAL_DEPTH);
            }
            if (lambdas != null) {
                b.lambdas(lambdas);
            }
            return b;
        }
    }

    public static void main(String[] args) throws Exception {
        // idle native threads wait briefly, as in the infopro tool (docs/benchmarks.md, "OpenMP's idle threads")
        IdleNativeThreads.preferShortWaits();
        long[] seeds = java.util.Arrays.stream((args.length > 0 ? args[0] : "1,2,3").split(","))
                .mapToLong(Long::parseLong).toArray();
        DatasetSplits all = Datasets.loadEmbeddedFashionMnist();
        List<Config> configs = args.length > 1 && args[1].equals("ablation") ? List.of(
                new Config("InfoPro K=2, SupCon only (0, 1)", "infopro", 2, LambdaSchedule.linear(0, 1, 0, 0)),
                new Config("InfoPro K=2, reconstruction only (1, 0)", "infopro", 2, LambdaSchedule.linear(1, 0, 0, 0)),
                new Config("InfoPro K=2, reconstruction only (5, 0)", "infopro", 2, LambdaSchedule.linear(5, 0, 0, 0)),
                new Config("InfoPro K=2, (5, 1) / 6 (the default)", "infopro", 2, null)) : List.of(
                new Config("E2E", "e2e", 1, null),
                new Config("Greedy SL K=2", "greedy", 2, null),
                new Config("InfoPro K=2, default lambdas", "infopro", 2, null),
                new Config("InfoPro K=2, reference lambdas (5, 1)", "infopro", 2, LambdaSchedule.linear(5, 1, 0, 0)),
                new Config("Greedy SL K=4", "greedy", 4, null),
                new Config("InfoPro K=4, default lambdas", "infopro", 4, null),
                new Config("InfoPro K=4, reference lambdas (6, 0)..(1, 2)", "infopro", 4,
                        LambdaSchedule.linear(6, 0, 1, 2)));
        if (configs.size() > 4) {
            gradientScale(all, seeds);
        }
        Map<String, List<Double>> acc = new LinkedHashMap<>();
        for (long seed : seeds) {
            DatasetSplits data = all.toBuilder().train(all.getTrain().subset(TRAIN, seed)).build();
            for (Config c : configs) {
                LocalModuleGraph local = c.builder(lenet(seed), data).build();
                ImageDataSetIterator train = data.trainIterator(BATCH, seed);
                local.fit(train);
                double a = local.evaluate(data.testIterator(250)).accuracy();
                acc.computeIfAbsent(c.label(), x -> new ArrayList<>()).add(a);
                System.err.printf(Locale.ROOT, "seed %d %s: %.4f (lambdas %s)%n", seed, c.label(), a,
                        lambdasOf(local));
            }
        }
        System.out.println("| configuration | cuts | lambdas per local module | test accuracy per seed ("
                + seedList(seeds) + ") | mean |");
        System.out.println("|---|---|---|---|---|");
        for (Config c : configs) {
            List<Double> v = acc.get(c.label());
            LocalModuleGraph planned = c.builder(lenet(1), all).build();
            System.out.printf(Locale.ROOT, "| %s | %s | %s | %s | %.3f |%n", c.label(),
                    planned.getConfig().getCuts().isEmpty() ? "-" : String.join(", ", planned.getConfig().getCuts()),
                    lambdasOf(planned),
                    String.join(" / ", v.stream().map(x -> String.format(Locale.ROOT, "%.3f", x)).toList()),
                    v.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN));
        }
    }

    /** Norm of the first convolution's gradient for each loss on one batch at initialisation (plain SGD step / lr). */
    static void gradientScale(DatasetSplits all, long[] seeds) {
        System.out.println("| seed | E2E | Greedy SL head | reconstruction (lambda 1) | SupCon (lambda 1) | reference (5, 1) |");
        System.out.println("|---|---|---|---|---|---|");
        double lr = 1e-4;
        for (long seed : seeds) {
            DatasetSplits data = all.toBuilder().train(all.getTrain().subset(TRAIN, seed)).build();
            DataSet batch = data.trainIterator(BATCH, seed).next();
            StringBuilder row = new StringBuilder("| " + seed + " |");
            for (Config c : List.of(new Config("", "e2e", 1, null), new Config("", "greedy", 2, null),
                    new Config("", "infopro", 2, LambdaSchedule.linear(1, 0, 0, 0)),
                    new Config("", "infopro", 2, LambdaSchedule.linear(0, 1, 0, 0)),
                    new Config("", "infopro", 2, LambdaSchedule.linear(5, 1, 0, 0)))) {
                MultiLayerNetwork net = lenet(seed);
                INDArray before = net.getLayer(0).params().dup();
                LocalModuleGraph local = c.builder(net, data).updater(new Sgd(lr)).build();
                local.fit(batch);
                INDArray after = local.getModules().get(0).getLayer("0").params();
                row.append(String.format(Locale.ROOT, " %.3f |", after.sub(before).norm2Number().doubleValue() / lr));
            }
            System.out.println(row);
        }
        System.out.println();
    }

    static String lambdasOf(LocalModuleGraph local) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < local.numModules() - 1; i++) {
            double[] l = local.getModuleSpecs().get(i).getLambdas();
            if (l != null) {
                out.add(String.format(Locale.ROOT, "(%.3g, %.3g)", l[0], l[1]));
            }
        }
        return out.isEmpty() ? "-" : String.join(" ", out);
    }

    static String seedList(long[] seeds) {
        return String.join(", ", java.util.Arrays.stream(seeds).mapToObj(Long::toString).toList());
    }
}
