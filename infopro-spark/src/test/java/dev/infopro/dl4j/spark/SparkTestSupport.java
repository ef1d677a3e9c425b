package dev.infopro.dl4j.spark;

import dev.infopro.dl4j.checkpoint.CheckpointTestNets;
import dev.infopro.dl4j.config.LocalLearning;
import dev.infopro.dl4j.data.ImageDataset;
import dev.infopro.dl4j.engine.LocalModuleGraph;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/** One Spark context for all test classes (Spark allows one per JVM), tiny networks and synthetic images. */
final class SparkTestSupport {
    static final int C = CheckpointTestNets.C, H = CheckpointTestNets.H, W = CheckpointTestNets.W,
            CLASSES = CheckpointTestNets.CLASSES;
    private static JavaSparkContext context;

    private SparkTestSupport() {
    }

    /**
     * {@code local[2,4]}: two worker threads, and a failed task is tried up to 4 times (plain {@code local[2]} never
     * retries, so the failure test needs this master; the others do not mind).
     */
    static synchronized JavaSparkContext spark() {
        if (context == null) {
            SparkConf conf = new SparkConf().setMaster("local[2,4]").setAppName("infopro-spark-tests")
                    .set("spark.ui.enabled", "false").set("spark.driver.host", "127.0.0.1")
                    .set("spark.driver.bindAddress", "127.0.0.1");
            context = new JavaSparkContext(conf);
            Runtime.getRuntime().addShutdownHook(new Thread(context::stop));
        }
        return context;
    }

    /** n images whose label is correlated with their brightness (the library's checkpoint-test data). */
    static ImageDataset synthetic(int n) {
        return CheckpointTestNets.dataset(n);
    }

    /**
     * conv (+ batch norm) | conv, average pooling, softmax; two modules cut after the first block, trained greedily
     * with the library's default classifier head.
     */
    static LocalModuleGraph model(DataType type, IUpdater updater, boolean batchNorm, int channels, int height,
                                  int width, int classes, LocalLearning method) {
        NeuralNetConfiguration.Builder nb = new NeuralNetConfiguration.Builder().seed(42).dataType(type)
                .updater(updater).weightInit(WeightInit.XAVIER).convolutionMode(ConvolutionMode.Same);
        var g = nb.graphBuilder().addInputs("in")
                .addLayer("c0", new ConvolutionLayer.Builder(3, 3).stride(2, 2).nOut(16).activation(Activation.RELU)
                        .build(), "in");
        String cut = "c0";
        if (batchNorm) {
            g.addLayer("bn0", new BatchNormalization.Builder().build(), "c0");
            cut = "bn0";
        }
        g.addLayer("c1", new ConvolutionLayer.Builder(3, 3).stride(2, 2).nOut(16).activation(Activation.TANH).build(),
                        cut)
                .addLayer("gap", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "c1")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(classes)
                        .activation(Activation.SOFTMAX).build(), "gap")
                .setOutputs("out").setInputTypes(InputType.convolutional(height, width, channels));
        ComputationGraph graph = new ComputationGraph(g.build());
        graph.init();
        var b = LocalModuleGraph.builder(graph).inputTypes(InputType.convolutional(height, width, channels))
                .method(method).weightDecay(1e-3)
                .inputNormalization(dev.infopro.dl4j.data.Normalization.none(channels));
        if (method.getKind() != LocalLearning.Kind.END_TO_END) {
            b.cutAfter(cut);
        }
        return b.build();
    }

    /** Largest absolute difference between two models' state vectors (parameters, statistics, updater state). */
    static double maxDiff(LocalModuleGraph a, LocalModuleGraph b) {
        INDArray va = dev.infopro.dl4j.engine.ModelVector.read(a, true);
        INDArray vb = dev.infopro.dl4j.engine.ModelVector.read(b, true);
        return va.sub(vb).amaxNumber().doubleValue();
    }
}
