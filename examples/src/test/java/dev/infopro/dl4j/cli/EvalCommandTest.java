package dev.infopro.dl4j.cli;

import dev.infopro.dl4j.data.Datasets;
import dev.infopro.dl4j.data.ImageDataSetIterator;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.nd4j.shade.jackson.databind.JsonNode;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code infopro eval} on the model files the library and DL4J write; the tool's train test covers its own. */
class EvalCommandTest {

    @Test
    void evaluatesAMultiLayerNetworkAsDl4jDoes(@TempDir Path dir) throws Exception {
        // what ModelProvenance.writeModel writes for a network that came in as a MultiLayerNetwork
        MultiLayerNetwork mln = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(5).list()
                .layer(new ConvolutionLayer.Builder(3, 3).stride(2, 2).nOut(4).activation(Activation.RELU).build())
                .layer(new GlobalPoolingLayer.Builder(PoolingType.AVG).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(10)
                        .activation(Activation.SOFTMAX).build())
                .setInputType(InputType.convolutional(28, 28, 1)).build());
        mln.init();
        Path file = dir.resolve("mln.zip");
        ModelSerializer.writeModel(mln, file.toFile(), false);
        double expected;
        try (ImageDataSetIterator test = Datasets.loadEmbeddedFashionMnist().testIterator(256)) {
            expected = mln.evaluate(test).accuracy();
        }
        String[] r = CliUsageTest.run("eval", "--model", file.toString(), "--json");
        assertEquals("0", r[0], r[1]);
        JsonNode e = Json.MAPPER.readTree(r[2]);
        assertEquals(1000, e.get("examples").asInt());
        assertEquals(expected, e.get("test_accuracy").asDouble(), 0.0);
    }

    @Test
    void aZipThatIsNoModelIsAUsageError(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("photos.zip");
        try (OutputStream out = Files.newOutputStream(file); ZipOutputStream zip = new ZipOutputStream(out)) {
            zip.putNextEntry(new ZipEntry("cat.jpg"));
            zip.write(new byte[]{1, 2, 3});
            zip.closeEntry();
        }
        String[] r = CliUsageTest.run("eval", "--model", file.toString());
        assertEquals("2", r[0], r[1]);
        assertTrue(r[1].contains("is neither a DL4J model zip (it has no configuration.json) nor a local-model.zip"),
                r[1]);
    }
}
