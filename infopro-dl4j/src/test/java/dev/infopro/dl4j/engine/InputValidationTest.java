package dev.infopro.dl4j.engine;

import dev.infopro.dl4j.config.LocalLearning;
import dev.infopro.dl4j.models.CifarResNet;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.datasets.iterator.IteratorDataSetIterator;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.adapter.MultiDataSetIteratorAdapter;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Data that does not fit the network is rejected before training, with a message that says what differs. */
class InputValidationTest {
    private static LocalModuleGraph local;

    @BeforeAll
    static void build() {
        local = LocalModuleGraph.builder(CifarResNet.builder().depth(8).channels(3).height(8).width(8).numClasses(4)
                        .build().init())
                .inputTypes(InputType.convolutional(8, 8, 3)).cutAfter("s1b0").method(LocalLearning.greedy()).build();
    }

    private static INDArray oneHot(int n, int classes, int column) {
        INDArray y = Nd4j.zeros(DataType.FLOAT, n, classes);
        for (int i = 0; i < n; i++) {
            y.putScalar(i, column >= 0 ? column : i % classes, 1f);
        }
        return y;
    }

    private static String fail(INDArray x, INDArray y) {
        return assertThrows(IllegalArgumentException.class, () -> local.fit(new DataSet(x, y))).getMessage();
    }

    @Test
    void channelCountMismatch() {
        String m = fail(Nd4j.rand(DataType.FLOAT, 2, 1, 8, 8), oneHot(2, 4, -1));
        assertTrue(m.contains("expected [batch, 3, 8, 8] (NCHW) but got [2, 1, 8, 8]"), m);
        assertTrue(m.contains("channel count"), m);
    }

    @Test
    void classCountMismatch() {
        String m = fail(Nd4j.rand(DataType.FLOAT, 2, 3, 8, 8), oneHot(2, 10, -1));
        assertEquals("The data has 10 classes but the network has 4: use a network whose output layer has nOut = 10,"
                + " or data with 4 classes", m);
    }

    @Test
    void labelsOutsideTheClassRangeOrOfTheWrongShape() {
        INDArray y = oneHot(2, 4, -1);
        y.getRow(1).assign(0); // e.g. class index 7 one-hot encoded over 4 columns
        String m = fail(Nd4j.rand(DataType.FLOAT, 2, 3, 8, 8), y);
        assertTrue(m.contains("A class index outside [0, 3] gives an all-zero row"), m);
        m = fail(Nd4j.rand(DataType.FLOAT, 3, 3, 8, 8), oneHot(2, 4, -1));
        assertTrue(m.startsWith("Labels must be one row per example, [3, numClasses], got [2, 4]"), m);
    }

    @Test
    void aBatchWithoutLabels() {
        String m = fail(Nd4j.rand(DataType.FLOAT, 2, 3, 8, 8), null);
        assertTrue(m.startsWith("The batch has no labels: local training needs one-hot class labels"), m);
    }

    @Test
    void flatImagesOfTheWrongSize() {
        MultiLayerConfiguration flat = new NeuralNetConfiguration.Builder().seed(1).list()
                .layer(new ConvolutionLayer.Builder(3, 3).nOut(3).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(4).activation(Activation.SOFTMAX)
                        .build())
                .setInputType(InputType.convolutionalFlat(6, 6, 1)).build();
        MultiLayerNetwork mln = new MultiLayerNetwork(flat);
        mln.init();
        LocalModuleGraph flatLocal = LocalModuleGraph.builder(mln).cutAfter("0").method(LocalLearning.greedy()).build();
        for (INDArray x : new INDArray[]{Nd4j.rand(DataType.FLOAT, 2, 49), Nd4j.rand(DataType.FLOAT, 2, 3, 6, 6)}) {
            String m = assertThrows(IllegalArgumentException.class,
                    () -> flatLocal.fit(new DataSet(x, oneHot(2, 4, -1)))).getMessage();
            assertTrue(m.contains("expected [batch, 1, 6, 6] (NCHW) or [batch, 36] but got "
                    + java.util.Arrays.toString(x.shape())), m);
        }
        // both accepted forms train
        for (INDArray x : new INDArray[]{Nd4j.rand(DataType.FLOAT, 2, 36), Nd4j.rand(DataType.FLOAT, 2, 1, 6, 6)}) {
            double[] scores = flatLocal.fit(new DataSet(x, oneHot(2, 4, -1)));
            assertTrue(Double.isFinite(scores[0]) && Double.isFinite(scores[1]));
        }
    }

    @Test
    void aNetworkWithoutAnOutputLayerIsRejectedAtBuild() {
        // as the model zoo's SimpleCNN: a softmax ActivationLayer last, which DL4J's own fit cannot train either
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(1).list()
                .layer(new ConvolutionLayer.Builder(3, 3).nOut(4).activation(Activation.RELU).build())
                .layer(new GlobalPoolingLayer.Builder(PoolingType.AVG).build())
                .layer(new ActivationLayer.Builder().activation(Activation.SOFTMAX).build())
                .setInputType(InputType.convolutional(6, 6, 1)).build();
        MultiLayerNetwork mln = new MultiLayerNetwork(conf);
        mln.init();
        String m = assertThrows(IllegalArgumentException.class, () -> LocalModuleGraph.builder(mln)).getMessage();
        assertTrue(m.startsWith("The network's output '2' is a layer of type ActivationLayer, not an output layer"), m);
        assertTrue(m.contains("End it with an OutputLayer, or add a LossLayer"), m);
    }

    @Test
    void anEmptyIteratorOrOneThatCannotResetForSeveralEpochs() {
        String m = assertThrows(IllegalArgumentException.class,
                () -> local.fit(new ListDataSetIterator<>(new ArrayList<DataSet>(), 2))).getMessage();
        assertEquals("The training iterator gave no batch: it is empty. Check the data source and any filtering that"
                + " feeds it", m);
        m = assertThrows(IllegalArgumentException.class, () -> local.fit(new MultiDataSetIteratorAdapter(
                new ListDataSetIterator<>(new ArrayList<DataSet>(), 2)))).getMessage();
        assertTrue(m.startsWith("The training iterator gave no batch"), "the MultiDataSet path too: " + m);
        List<DataSet> one = List.of(new DataSet(Nd4j.rand(DataType.FLOAT, 2, 3, 8, 8), oneHot(2, 4, -1)));
        m = assertThrows(IllegalArgumentException.class,
                () -> local.fit(new IteratorDataSetIterator(one.iterator(), 2), 2)).getMessage();
        assertTrue(m.startsWith("Training for 2 epochs needs an iterator that can reset"), m);
        int before = local.getIterationCount();
        DataSetIterator once = new IteratorDataSetIterator(one.iterator(), 2);
        local.fit(once); // one epoch on a one-shot iterator is fine
        assertEquals(before + 1, local.getIterationCount());
        m = assertThrows(IllegalArgumentException.class, () -> local.fit(once)).getMessage();
        assertTrue(m.contains("an earlier pass used it up and it cannot reset"), m);
    }

    @Test
    void evaluationDataWithoutLabels() {
        DataSet unlabeled = new DataSet(Nd4j.rand(DataType.FLOAT, 2, 3, 8, 8), null);
        String m = assertThrows(IllegalArgumentException.class,
                () -> local.evaluate(new IteratorDataSetIterator(List.of(unlabeled).iterator(), 2))).getMessage();
        assertTrue(m.startsWith("Evaluation compares predictions with labels, but a batch of the evaluation data has"
                + " none"), m);
    }

    @Test
    void aValidBatchTrains() {
        double[] scores = local.fit(new DataSet(Nd4j.rand(DataType.FLOAT, 2, 3, 8, 8), oneHot(2, 4, -1)));
        assertEquals(2, scores.length);
        assertTrue(Double.isFinite(scores[0]) && Double.isFinite(scores[1]));
    }
}
