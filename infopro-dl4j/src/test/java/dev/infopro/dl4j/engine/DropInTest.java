package dev.infopro.dl4j.engine;

import dev.infopro.dl4j.config.LambdaSchedule;
import dev.infopro.dl4j.config.LocalLearning;
import dev.infopro.dl4j.data.Normalization;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.dataset.api.preprocessor.NormalizerStandardize;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.io.File;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A DL4J user's networks convert with no extra ceremony: no input types, no lambdas, the normalisation read from
 * the iterator, and the model goes back as what it came in as.
 */
class DropInTest {

    @BeforeAll
    static void precision() {
        TestNets.doublePrecision();
    }

    /** LeNet-style, no batch norm, the user's own Nesterovs and Xavier init, 12x12 grey images. */
    static MultiLayerConfiguration lenet() {
        return new NeuralNetConfiguration.Builder().seed(3).dataType(DataType.DOUBLE).updater(new Nesterovs(0.01, 0.9))
                .weightInit(WeightInit.XAVIER).convolutionMode(ConvolutionMode.Same).list()
                .layer(new ConvolutionLayer.Builder(3, 3).nOut(4).activation(Activation.RELU).build())
                .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2)
                        .build())
                .layer(new ConvolutionLayer.Builder(3, 3).nOut(6).activation(Activation.RELU).build())
                .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2)
                        .build())
                .layer(new DenseLayer.Builder().nOut(16).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(TestNets.CLASSES)
                        .activation(Activation.SOFTMAX).build())
                .setInputType(InputType.convolutional(12, 12, 1)).build();
    }

    /** {@code n} images in [0, 1] whose class follows their brightness, as raw (un-normalised) data. */
    static List<DataSet> images(int n, long seed) {
        Nd4j.getRandom().setSeed(seed);
        INDArray x = Nd4j.rand(DataType.DOUBLE, n, 1, 12, 12);
        INDArray y = Nd4j.zeros(DataType.DOUBLE, n, TestNets.CLASSES);
        for (int i = 0; i < n; i++) {
            int c = i % TestNets.CLASSES;
            x.slice(i).muli(0.4).addi(0.3 * c);
            y.putScalar(i, c, 1.0);
        }
        return new DataSet(x, y).asList();
    }

    /** A DL4J iterator with a fitted NormalizerStandardize as its pre-processor (batches are new arrays). */
    static DataSetIterator standardized(List<DataSet> examples, NormalizerStandardize norm) {
        DataSetIterator it = new ListDataSetIterator<>(examples, 8);
        norm.fit(it);
        it.setPreProcessor(norm);
        return it;
    }

    @Test
    void residualGraphWithoutInputTypesIsCheckedAtBuildAndPlannedAtItsFirstBatch() {
        ComputationGraph net = new ComputationGraph(TestNets.residualConf(new Sgd(0.1)));
        net.init();
        // cut validation and its message need no input types
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> LocalModuleGraph.builder(net).cutAfter("r1a").method(LocalLearning.infoProContrast()).build());
        assertTrue(bad.getMessage().contains("Invalid cut after 'r1a'") && bad.getMessage().contains("bn0 -> add1")
                && bad.getMessage().contains("Valid cut vertices: [c0, bn0, add1, act1, c2, gap]"), bad.getMessage());

        LocalModuleGraph local = LocalModuleGraph.builder(net).cutAfter("act1")
                .method(LocalLearning.infoProContrast()).inputNormalization(Normalization.none(TestNets.C)).build();
        assertEquals(2, local.numModules());
        IllegalStateException early = assertThrows(IllegalStateException.class, local::getModules);
        assertTrue(early.getMessage().contains("taken from the first batch"), early.getMessage());
        ComputationGraph before = local.toComputationGraph();
        assertEquals(net.params(), before.params(), "before the first batch the model is the network given");

        DataSet batch = TestNets.batch(1);
        batch.getFeatures().assign(Nd4j.rand(DataType.DOUBLE, batch.getFeatures().shape()));
        double[] scores = local.fit(batch);
        assertEquals(2, scores.length);
        assertTrue(Double.isFinite(scores[0]) && Double.isFinite(scores[1]));
        assertEquals(InputType.convolutional(TestNets.H, TestNets.W, TestNets.C), local.getConfig().getInputTypes()[0]);
        assertEquals(LambdaSchedule.referenceDefault(2), local.getConfig().getLambdas());
        INDArray x = TestNets.batch(2).getFeatures();
        assertEquals(0.0, TestNets.maxAbsDiff(local.output(x)[0], local.toComputationGraph().output(x)[0]), 1e-12);
        assertFalse(net.params().equals(local.toComputationGraph().params()), "the first step trained the modules");
    }

    @Test
    void explicitInputTypesWin() {
        ComputationGraph net = new ComputationGraph(TestNets.residualConf(new Sgd(0.1)));
        net.init();
        LocalModuleGraph local = LocalModuleGraph.builder(net).cutAfter("act1").method(LocalLearning.greedy())
                .inputTypes(InputType.convolutional(8, 8, TestNets.C)).build();
        assertEquals(2, local.getModules().size(), "planned at build time");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> local.fit(TestNets.batch(1)));
        assertTrue(e.getMessage().contains("expected [batch, 2, 8, 8] (NCHW) but got [8, 2, 6, 6]"), e.getMessage());
    }

    @Test
    void inputTypesAreReadFromTheConfigurationWhereItDeterminesThem() {
        MultiLayerConfiguration flat = new NeuralNetConfiguration.Builder().seed(1).dataType(DataType.DOUBLE)
                .updater(new Sgd(0.1)).list()
                .layer(new ConvolutionLayer.Builder(3, 3).nOut(3).activation(Activation.TANH).build())
                .layer(new DenseLayer.Builder().nOut(5).activation(Activation.TANH).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(TestNets.CLASSES)
                        .activation(Activation.SOFTMAX).build())
                .setInputType(InputType.convolutionalFlat(6, 6, 1)).build();
        MultiLayerNetwork mln = new MultiLayerNetwork(flat);
        mln.init();
        LocalModuleGraph local = LocalModuleGraph.builder(mln).cutAfter("0").method(LocalLearning.infoProSoftmax())
                .build();
        assertEquals(2, local.getModules().size(), "planned at build time: the pre-processor gives 6x6x1");
        assertEquals(InputType.convolutionalFlat(6, 6, 1), local.getConfig().getInputTypes()[0]);
        // flat [0, 1] images: the decoder's target is the same image reshaped to [batch, 1, 6, 6]
        INDArray x = Nd4j.rand(DataType.DOUBLE, 8, 36);
        INDArray y = TestNets.batch(1).getLabels();
        double[] scores = local.fit(new DataSet(x, y));
        assertTrue(Double.isFinite(scores[0]) && scores[0] > 0, "local loss " + scores[0]);
        assertEquals(0.0, TestNets.maxAbsDiff(local.output(x)[0], local.toMultiLayerNetwork().output(x)), 1e-12);

        MultiLayerNetwork mlp = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().dataType(DataType.DOUBLE)
                .list().layer(new DenseLayer.Builder().nIn(10).nOut(5).build())
                .layer(new DenseLayer.Builder().nIn(5).nOut(4).build())
                .layer(new OutputLayer.Builder().nIn(4).nOut(3).activation(Activation.SOFTMAX).build()).build());
        mlp.init();
        LocalModuleGraph plain = LocalModuleGraph.builder(mlp).cutAfter("0").method(LocalLearning.greedy()).build();
        assertEquals(InputType.feedForward(10), plain.getConfig().getInputTypes()[0]);
    }

    @Test
    void reconstructionTargetsOutsideTheUnitRangeAreRefused() {
        ComputationGraph net = new ComputationGraph(TestNets.residualConf(new Sgd(0.1)));
        net.init();
        LocalModuleGraph local = LocalModuleGraph.builder(net).cutAfter("act1")
                .method(LocalLearning.infoProContrast()).build();
        DataSet standardized = TestNets.batch(1); // N(0, 1) features: what a standardised image looks like
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> local.fit(standardized));
        String m = e.getMessage();
        assertTrue(m.startsWith("The reconstruction target (the input itself: no inputNormalization(...) was given)"
                + " has values in [-"), m);
        // fit(DataSet) has no iterator, so its advice is the builder's inputNormalization alone
        assertTrue(m.endsWith("outside [0, 1]: the decoder's binary cross-entropy needs the input image in [0, 1]."
                + " Tell the model how the data was normalised: inputNormalization(mean, std) on the builder (the"
                + " target is x * std + mean per channel)"), m);
        assertEquals(net.params(), local.toComputationGraph().params(), "nothing was trained");
        assertEquals(0, local.getIterationCount());

        DataSetIterator unknown = new ListDataSetIterator<>(standardized.asList(), 8);
        unknown.setPreProcessor(ds -> { });
        IllegalArgumentException named = assertThrows(IllegalArgumentException.class, () -> local.fit(unknown));
        assertTrue(named.getMessage().contains("the iterator's pre-processor DropInTest$$Lambda"), named.getMessage());
        assertTrue(named.getMessage().contains("or a DL4J DataNormalization (NormalizerStandardize"), named.getMessage());
    }

    @Test
    void multiLayerNetworkWithAStandardizerTrainsAndExportsAsAMultiLayerNetwork(@TempDir File dir) throws Exception {
        MultiLayerNetwork mln = new MultiLayerNetwork(lenet());
        mln.init();
        INDArray initial = mln.params().dup();
        NormalizerStandardize norm = new NormalizerStandardize();
        DataSetIterator train = standardized(images(32, 5), norm);

        // the minimal drop-in: no input types, no lambdas, no normalisation
        LocalModuleGraph local = LocalModuleGraph.builder(mln).cutAfter("1").method(LocalLearning.infoProContrast())
                .build();
        local.fit(train, 2);

        Normalization n = local.getConfig().getNormalization();
        assertArrayEquals(norm.getMean().toDoubleVector(), n.getMean(), 1e-12, "the iterator's statistics");
        assertArrayEquals(norm.getStd().toDoubleVector(), n.getStd(), 1e-12);
        // no batch norm: the reference's K = 2 pair (5, 1) scaled to sum 1 (LambdaSchedule.defaultFor)
        assertArrayEquals(new double[]{5 / 6.0, 1 / 6.0}, local.getModuleSpecs().get(0).getLambdas(), 1e-15);
        assertEquals(8, local.getIterationCount());
        assertEquals(initial, mln.params(), "the user's network is not touched");

        MultiLayerNetwork exported = local.toMultiLayerNetwork();
        for (int i = 0; i < 6; i++) {
            assertEquals(lenet().getConf(i).getLayer(), exported.getLayerWiseConfigurations().getConf(i).getLayer());
        }
        assertEquals(2, exported.getLayerWiseConfigurations().getEpochCount());
        assertEquals(8, exported.getLayerWiseConfigurations().getIterationCount());
        assertFalse(initial.equals(exported.params()), "trained weights");
        INDArray x = DataSet.merge(images(16, 9)).getFeatures();
        norm.transform(x);
        assertEquals(0.0, TestNets.maxAbsDiff(local.output(x)[0], exported.output(x)), 1e-12);

        File zip = new File(dir, "model.zip");
        ModelProvenance.writeModel(local, zip);
        MultiLayerNetwork restored = ModelSerializer.restoreMultiLayerNetwork(zip);
        assertEquals(exported.params(), restored.params());
        ModelProvenance p = ModelProvenance.read(zip);
        assertEquals("INFOPRO_CONTRAST", p.getMethod());
        assertEquals(2, p.getK());
        assertEquals(List.of("1"), p.getCuts());
        assertArrayEquals(new double[]{5 / 6.0, 1 / 6.0}, p.getLambdas().get(0), 1e-15);
        assertTrue(p.getUpdater().contains("the network's own"), p.getUpdater());
        assertEquals(2, p.getEpochs());
        assertEquals("MultiLayerNetwork", p.getNetwork());

        File saved = new File(dir, "local.zip");
        local.save(saved);
        LocalModuleGraph loaded = LocalModuleGraph.load(saved);
        assertEquals(exported.params(), loaded.toMultiLayerNetwork().params(), "the origin survives save and load");
        assertEquals(n, loaded.getConfig().getNormalization());
    }

    @Test
    void aMultiLayerNetworkTrainsTheSameTwice() throws InterruptedException {
        double[][] scores = new double[2][];
        for (int run = 0; run < 2; run++) {
            MultiLayerNetwork mln = new MultiLayerNetwork(lenet().clone());
            mln.init();
            WorkspaceMode mode = WorkspaceMode.NONE;
            mln.getLayerWiseConfigurations().setTrainingWorkspaceMode(mode);
            LocalModuleGraph local = LocalModuleGraph.builder(mln).cutAfter("1").method(LocalLearning.infoProContrast())
                    .inputTypes(InputType.convolutional(12, 12, 1)).build();
            ComputationGraphConfiguration module = local.getModules().get(0).getConfiguration();
            assertEquals(3, module.getDefaultConfiguration().getSeed(), "the network's seed, which the heads start from");
            assertEquals(mode, module.getTrainingWorkspaceMode());
            DataSet batch = DataSet.merge(images(16, 4));
            scores[run] = local.fit(batch);
            Thread.sleep(5); // DL4J's conversion alone seeds from the clock: make a second run see another time
        }
        assertArrayEquals(scores[0], scores[1], 0.0);
    }

    @Test
    void aComputationGraphModelDoesNotExportAsAMultiLayerNetwork() {
        ComputationGraph net = new ComputationGraph(TestNets.residualConf(new Sgd(0.1)));
        net.init();
        LocalModuleGraph local = LocalModuleGraph.builder(net).inputTypes(TestNets.INPUT).cutAfter("act1")
                .method(LocalLearning.greedy()).build();
        IllegalStateException e = assertThrows(IllegalStateException.class, local::toMultiLayerNetwork);
        assertTrue(e.getMessage().startsWith("This model was built from a ComputationGraph, so it exports as one: use"
                + " toComputationGraph()"), e.getMessage());
    }
}
