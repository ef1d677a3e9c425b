package dev.infopro.dl4j.interop;

import dev.infopro.dl4j.models.CifarResNet;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Name and layout mapping of {@link TorchWeightImport} on a ResNet-8. */
class TorchWeightImportTest {

    private static ComputationGraph net() {
        return CifarResNet.builder().depth(8).channels(1).height(8).width(8).dataType(DataType.DOUBLE).build().init();
    }

    @Test
    void linearWeightsAreTransposedAndBatchNormStatsLoaded() {
        ComputationGraph g = net();
        INDArray w = Nd4j.arange(1, 641).castTo(DataType.DOUBLE).reshape(10, 64); // PyTorch [out, in]
        INDArray b = Nd4j.arange(1, 11).castTo(DataType.DOUBLE);
        INDArray rv = Nd4j.arange(2, 18).castTo(DataType.DOUBLE);
        List<String> missing = TorchWeightImport.load(Map.of("backbone.fc.weight", w, "backbone.fc.bias", b,
                        "backbone.units.0.bn.running_var", rv, "backbone.units.0.bn.num_batches_tracked",
                        Nd4j.scalar(3L)), g, TorchWeightImport.cifarResNetMapping(8));
        assertEquals(w.getDouble(3, 7), g.getParam("fc_W").getDouble(7, 3), 0.0);
        assertEquals(b.getDouble(9), g.getParam("fc_b").getDouble(9), 0.0);
        assertEquals(rv.getDouble(5), g.getParam("stem_bn_var").getDouble(5), 0.0);
        assertTrue(missing.contains("stem_conv_W") && !missing.contains("fc_W"), missing.toString());
    }

    @Test
    void unmappedNameAndShapeMismatchAreExplained() {
        ComputationGraph g = net();
        Map<String, String> m = TorchWeightImport.cifarResNetMapping(8);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TorchWeightImport.load(
                Map.of("backbone.head.weight", Nd4j.zeros(DataType.DOUBLE, 3)), g, m));
        assertTrue(e.getMessage().contains("backbone.head"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> TorchWeightImport.load(
                Map.of("backbone.units.0.conv.weight", Nd4j.zeros(DataType.DOUBLE, 16, 3, 3, 3)), g, m));
        assertTrue(e.getMessage().contains("[16, 3, 3, 3]") && e.getMessage().contains("[16, 1, 3, 3]"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> TorchWeightImport.load(
                Map.of("backbone.units.0.conv.bias", Nd4j.zeros(DataType.DOUBLE, 16)), g, m));
        assertTrue(e.getMessage().contains("stem_conv"), e.getMessage());
    }
}
