package dev.infopro.dl4j.engine;

import dev.infopro.dl4j.config.LocalLearning;
import dev.infopro.dl4j.layers.InPlaceAdd;
import dev.infopro.dl4j.layers.InPlaceAddVertex;
import dev.infopro.dl4j.layers.InPlaceReLU;
import dev.infopro.dl4j.models.CifarResNet;
import dev.infopro.dl4j.planning.InPlaceActivations;
import dev.infopro.dl4j.planning.MemoryEstimator;
import org.deeplearning4j.nn.conf.CacheMode;
import org.deeplearning4j.nn.conf.memory.MemoryUseMode;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.zoo.model.ResNet50;
import org.junit.jupiter.api.BeforeAll;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Nesterovs;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** ReLU layers and sums that overwrite an input in the module graphs: which ones, same results, less memory. */
class InPlaceActivationsTest {

    private static final String ACTIVATIONS_WS = "WS_ALL_LAYERS_ACT";

    @BeforeAll
    static void precision() {
        TestNets.doublePrecision();
    }

    private static CifarResNet resnet8() {
        return CifarResNet.builder().depth(8).channels(1).height(8).width(8).numClasses(3)
                .dataType(DataType.DOUBLE).updater(new Nesterovs(0.1, 0.9)).build();
    }

    @Test
    void everyReLUAndResidualSumOfAResNetRunsInPlace() {
        Set<String> eligible = new HashSet<>(InPlaceActivations.eligible(resnet8().configuration()));
        assertEquals(Set.of("stem", "s1b0_relu1", "s1b0_add", "s1b0", "s2b0_relu1", "s2b0_add", "s2b0",
                "s3b0_relu1", "s3b0_add", "s3b0"), eligible);
    }

    @Test
    void vertexWhoseInputCouldBeReadLaterIsKept() {
        ComputationGraphConfiguration.GraphBuilder g = new NeuralNetConfiguration.Builder().dataType(DataType.DOUBLE)
                .convolutionMode(ConvolutionMode.Same).graphBuilder().addInputs("in")
                .setInputTypes(InputType.convolutional(4, 4, 2));
        g.addLayer("onInput", relu(), "in");
        g.addLayer("c1", conv(), "onInput");
        g.addLayer("bn1", new BatchNormalization.Builder().build(), "c1");
        g.addLayer("sharedA", relu(), "bn1");           // bn1 has two consumers
        g.addLayer("sharedB", relu(), "bn1");
        g.addVertex("sum", new ElementWiseVertex(ElementWiseVertex.Op.Add), "sharedA", "sharedB");
        g.addLayer("capped", new ActivationLayer.Builder().activation(new ActivationReLU(6.0, null, null)).build(),
                "sum");                                 // ReLU6: derivative not readable from the output
        g.addLayer("pool", new SubsamplingLayer.Builder(2, 2).build(), "capped");
        g.addLayer("afterPool", relu(), "pool");        // producer not known to ignore its output
        g.addLayer("c2", conv(), "afterPool");
        g.addLayer("leaky", new ActivationLayer.Builder().activation(Activation.LEAKYRELU).build(), "c2");
        g.addLayer("c3", conv(), "leaky");
        g.addLayer("dropped", new ActivationLayer.Builder().activation(Activation.RELU).dropOut(0.5).build(), "c3");
        g.addLayer("c4", conv(), "dropped");
        g.addLayer("afterOutput", relu(), "c4");        // c4 is also an output of the graph
        g.addLayer("c5", conv(), "afterOutput");
        g.addLayer("ok", relu(), "c5");
        g.addLayer("c6", conv(), "ok");
        g.addVertex("okSum", new ElementWiseVertex(ElementWiseVertex.Op.Add), "c6", "ok");
        g.addVertex("afterPoolSum", new ElementWiseVertex(ElementWiseVertex.Op.Add), "pool", "c2");
        g.addVertex("product", new ElementWiseVertex(ElementWiseVertex.Op.Product), "c5b", "okSum");
        g.addLayer("c5b", conv(), "okSum");
        g.addLayer("drop", new DropoutLayer.Builder(0.5).build(), "product");
        g.setOutputs("c4", "drop", "afterPoolSum");
        ComputationGraphConfiguration conf = g.build();

        assertEquals(Set.of("ok", "okSum"), new HashSet<>(InPlaceActivations.eligible(conf)));
        assertEquals(Set.of("ok", "okSum"), new HashSet<>(InPlaceActivations.apply(conf)));
        assertSame(InPlaceReLU.class, ((LayerVertex) conf.getVertices().get("ok")).getLayerConf().getLayer().getClass());
        assertSame(InPlaceAdd.class, conf.getVertices().get("okSum").getClass());
        assertSame(ActivationLayer.class,
                ((LayerVertex) conf.getVertices().get("sharedA")).getLayerConf().getLayer().getClass());
        assertSame(ElementWiseVertex.class, conf.getVertices().get("afterPoolSum").getClass());
    }

    @Test
    void endToEndStepsEqualComputationGraphFitWithLessActivationMemory() {
        CifarResNet net = resnet8();
        ComputationGraph plain = net.init();
        LocalModuleGraph local = LocalModuleGraph.builder(plain.clone())
                .inputTypes(InputType.convolutional(8, 8, 1)).method(LocalLearning.endToEnd()).build();
        ComputationGraph module = local.getModules().get(0);
        int replaced = 0;
        for (org.deeplearning4j.nn.api.Layer l : module.getLayers()) {
            replaced += l.conf().getLayer() instanceof InPlaceReLU ? 1 : 0;
        }
        assertEquals(7, replaced);
        assertTrue(module.getVertex("s2b0_add") instanceof InPlaceAddVertex);

        for (int s = 0; s < 3; s++) {
            DataSet ds = net.syntheticBatch(16, 300 + s);
            plain.fit(ds);
            double[] scores = local.fit(ds);
            assertEquals(plain.score(), scores[0], 1e-12, "score of step " + s);
        }
        double diff = TestNets.maxAbsDiff(plain.params(), local.toComputationGraph().params());
        assertTrue(diff < 1e-12, "parameters differ by " + diff);
        // the export is DL4J's own layers again
        ComputationGraph exported = local.toComputationGraph();
        assertSame(ActivationLayer.class, exported.getLayer("s1b0").conf().getLayer().getClass());
        assertSame(ElementWiseVertex.class, exported.getConfiguration().getVertices().get("s1b0_add").getClass());

        // Both networks use this thread's workspaces, so each is sized from scratch by one step of its own.
        DataSet ds = net.syntheticBatch(16, 400);
        Nd4j.getWorkspaceManager().destroyAllWorkspacesForCurrentThread();
        plain.fit(ds);
        long plainWs = activationWorkspaceBytes();
        Nd4j.getWorkspaceManager().destroyAllWorkspacesForCurrentThread();
        local.fit(ds);
        long localWs = activationWorkspaceBytes();
        // Ten maps are no longer written: seven ReLUs and three sums, that is four in the stem and stage 1
        // (16 x 8 x 8), three in stage 2 (32 x 4 x 4) and three in stage 3 (64 x 2 x 2); batch 16, 8 bytes each.
        // DL4J sizes this workspace at 1.05 times what the first step used.
        long saved = 16L * 8 * (4 * 16 * 8 * 8 + 3 * 32 * 4 * 4 + 3 * 64 * 2 * 2);
        assertTrue(plainWs > 0 && localWs > 0, "workspace sizes " + plainWs + ", " + localWs);
        assertEquals(1.05 * saved, plainWs - localWs, 8,
                "activation workspace " + plainWs + " bytes for fit(), " + localWs + " in the module");
    }

    /** A network written by others: the model zoo's ResNet50 (its own updater), in double precision. */
    @Test
    void zooResNet50StepsEqualComputationGraphFit() {
        ComputationGraphConfiguration conf = ResNet50.builder().numClasses(3).inputShape(new int[]{3, 75, 75}).build()
                .graphBuilder().build();
        conf.setDataType(DataType.DOUBLE);
        ComputationGraph plain = new ComputationGraph(conf);
        plain.init();
        // the same batch-norm code on both sides, so that only running ReLUs and sums in place differs
        dev.infopro.dl4j.backend.OneDnnHelpers.patch(plain);
        List<String> inPlace = InPlaceActivations.eligible(plain.getConfiguration());
        // the stem's ReLU, and in each of the 16 bottleneck blocks two ReLUs after batch norm, the sum and its ReLU
        assertEquals(1 + 16 * 4, inPlace.size(), inPlace.toString());
        assertTrue(inPlace.containsAll(List.of("stem-act1", "act2a_branch2a", "short2a_branch", "res2a_branch")));
        LocalModuleGraph local = LocalModuleGraph.builder(plain.clone()).method(LocalLearning.endToEnd()).build();
        for (int s = 0; s < 2; s++) {
            Nd4j.getRandom().setSeed(500 + s);
            INDArray x = Nd4j.rand(DataType.DOUBLE, 2, 3, 75, 75);
            INDArray y = Nd4j.zeros(DataType.DOUBLE, 2, 3);
            y.putScalar(0, s, 1.0);
            y.putScalar(1, 2 - s, 1.0);
            DataSet ds = new DataSet(x, y);
            plain.fit(ds);
            double[] scores = local.fit(ds);
            assertEquals(plain.score(), scores[0], 1e-10, "score of step " + s);
        }
        double diff = TestNets.maxAbsDiff(plain.params(), local.toComputationGraph().params());
        assertTrue(diff < 1e-10, "parameters differ by " + diff);
    }

    /** A MultiLayerNetwork without batch norm: ReLU layers after convolution and dense layers. */
    @Test
    void multiLayerNetworkWithoutBatchNormStepsEqualItsOwnFit() {
        MultiLayerNetwork plain = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(3)
                .dataType(DataType.DOUBLE).updater(new Nesterovs(0.05, 0.9)).convolutionMode(ConvolutionMode.Same)
                .list()
                .layer(new ConvolutionLayer.Builder(3, 3).nOut(4).activation(Activation.IDENTITY).build())
                .layer(new ActivationLayer.Builder().activation(Activation.RELU).build())
                .layer(new ConvolutionLayer.Builder(3, 3).nOut(4).activation(Activation.IDENTITY).build())
                .layer(new ActivationLayer.Builder().activation(Activation.RELU).build())
                .layer(new DenseLayer.Builder().nOut(6).activation(Activation.IDENTITY).build())
                .layer(new ActivationLayer.Builder().activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(TestNets.CLASSES)
                        .activation(Activation.SOFTMAX).build())
                .setInputType(TestNets.INPUT).build());
        plain.init();
        LocalModuleGraph local = LocalModuleGraph.builder(plain.clone()).method(LocalLearning.endToEnd()).build();
        for (int s = 0; s < 3; s++) {
            DataSet ds = TestNets.batch(600 + s);
            plain.fit(ds);
            double[] scores = local.fit(ds);
            assertEquals(plain.score(), scores[0], 1e-12, "score of step " + s);
        }
        // layers 1, 3 and 5 (the ReLUs) ran in place
        assertEquals(List.of("1", "3", "5"), InPlaceActivations.runningInPlace(
                local.getModules().get(0).getConfiguration()).stream().sorted().toList());
        double diff = TestNets.maxAbsDiff(plain.params(), local.toMultiLayerNetwork().params());
        assertTrue(diff < 1e-12, "parameters differ by " + diff);
    }

    @Test
    void memoryEstimateCountsNoActivationForVerticesRunInPlace() {
        ComputationGraphConfiguration conf = resnet8().configuration();
        InputType in = InputType.convolutional(8, 8, 1);
        long dl4j = conf.getMemoryReport(in).getTotalMemoryBytes(16, MemoryUseMode.TRAINING, CacheMode.NONE,
                DataType.DOUBLE);
        long ours = MemoryEstimator.endToEnd(conf, new InputType[]{in}, 16).totalBytes();
        // the ten maps of the test above
        assertEquals(16L * 8 * (4 * 16 * 8 * 8 + 3 * 32 * 4 * 4 + 3 * 64 * 2 * 2), dl4j - ours);
    }

    private static long activationWorkspaceBytes() {
        MemoryWorkspace ws = Nd4j.getWorkspaceManager().getWorkspaceForCurrentThread(ACTIVATIONS_WS);
        return ws == null ? -1 : ws.getCurrentSize();
    }

    private static ActivationLayer relu() {
        return new ActivationLayer.Builder().activation(Activation.RELU).build();
    }

    private static ConvolutionLayer conv() {
        return new ConvolutionLayer.Builder(3, 3).nOut(2).activation(Activation.IDENTITY).build();
    }
}
