package dev.infopro.dl4j.interop;

import dev.infopro.dl4j.engine.LocalModuleGraph;
import dev.infopro.dl4j.models.CifarResNet;
import lombok.Value;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.vertex.GraphVertex;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Loads PyTorch tensors into DL4J parameters.
 *
 * <p>A <em>name mapping</em> maps PyTorch module names (the part of a {@code state_dict} key before the last dot,
 * e.g. {@code backbone.units.0.conv}) to DL4J layer names (e.g. {@code stem_conv}). The parameter name after the
 * last dot is translated by the DL4J layer's type, and the layout converted:
 * <table>
 *   <caption>PyTorch to DL4J parameters</caption>
 *   <tr><th>DL4J layer</th><th>PyTorch</th><th>DL4J key</th><th>layout</th></tr>
 *   <tr><td>ConvolutionLayer</td><td>weight [out,in,kH,kW]</td><td>W</td><td>same</td></tr>
 *   <tr><td>ConvolutionLayer</td><td>bias [out]</td><td>b</td><td>DL4J's bias shape ([out] or [1,out])</td></tr>
 *   <tr><td>Dense / Output layer</td><td>weight [out,in]</td><td>W</td><td>transposed, [in,out]</td></tr>
 *   <tr><td>Dense / Output layer</td><td>bias [out]</td><td>b</td><td>DL4J's bias shape ([out] or [1,out])</td></tr>
 *   <tr><td>BatchNormalization</td><td>weight, bias, running_mean, running_var [c]</td>
 *       <td>gamma, beta, mean, var</td><td>DL4J's shape ([c] or [1,c])</td></tr>
 * </table>
 * {@code num_batches_tracked} has no DL4J counterpart and is skipped. Batch norm must use {@code useLogStd(false)}.
 *
 * <p>Typical use with a fixture saved as {@code init.<state_dict key>.npy}:
 * <pre>{@code
 * Map<String, String> mapping = new LinkedHashMap<>(TorchWeightImport.cifarResNetMapping(8));
 * mapping.putAll(TorchWeightImport.infoProHeadMapping(0));
 * TorchWeightImport.load(TorchWeightImport.readNpyDirectory(dir, "init."), localModuleGraph, mapping);
 * }</pre>
 */
public final class TorchWeightImport {

    /** PyTorch's batch-norm step counter: no DL4J counterpart. */
    public static final String NUM_BATCHES_TRACKED = "num_batches_tracked";

    private TorchWeightImport() {
    }

    /**
     * Where one PyTorch tensor goes in DL4J.
     */
    @Value
    public static class ParamRef {
        /** The PyTorch tensor name, e.g. {@code backbone.fc.weight}. */
        String torchName;
        /** Index of the module of a LocalModuleGraph that owns the layer; 0 for a plain graph. */
        int module;
        /** The DL4J layer name. */
        String layer;
        /** The DL4J parameter key within the layer, e.g. {@code W}, {@code gamma}. */
        String param;
        /** True for linear weights: PyTorch [out,in], DL4J [in,out]. */
        boolean transposed;

        /** The DL4J parameter key as used in gradient and parameter tables: {@code layer_param}. */
        public String key() {
            return layer + "_" + param;
        }

        /**
         * Converts a tensor in PyTorch layout (the parameter itself, or its gradient) to this DL4J parameter's
         * layout; a new array, same data type as the input.
         *
         * @param torchTensor the tensor in PyTorch layout
         * @param dl4jShape   the DL4J parameter's shape
         * @throws IllegalArgumentException when the shapes are incompatible (both shapes are named)
         */
        public INDArray toDl4jLayout(INDArray torchTensor, long[] dl4jShape) {
            INDArray t = transposed ? torchTensor.transpose() : torchTensor;
            long[] ts = t.shape();
            boolean ok;
            if (transposed || t.rank() == dl4jShape.length) {
                ok = Arrays.equals(ts, dl4jShape);
            } else {
                // Vectors: PyTorch [n], DL4J [1,n] (same-rank vectors were compared above).
                ok = t.rank() == 1 && dl4jShape.length == 2 && dl4jShape[0] == 1 && dl4jShape[1] == ts[0];
            }
            if (!ok) {
                throw new IllegalArgumentException("Shape mismatch for PyTorch tensor '" + torchName + "' "
                        + Arrays.toString(torchTensor.shape()) + " -> DL4J parameter '" + key() + "' "
                        + Arrays.toString(dl4jShape) + (transposed ? " (linear weight, expected PyTorch [out,in] = "
                        + "transpose of DL4J [in,out])" : "") + ": check the name mapping and the layer sizes");
            }
            return t.dup('c').reshape('c', dl4jShape);
        }
    }

    // ------------------------------------------------------------------------------------------------ reading

    /**
     * Reads every {@code <prefix><name>.npy} file of {@code dir} into a map keyed by {@code <name>}, e.g. with
     * prefix {@code "init."} the file {@code init.backbone.fc.weight.npy} becomes {@code backbone.fc.weight}.
     *
     * @param dir    the folder
     * @param prefix file name prefix, may be empty
     * @return tensors sorted by name
     * @throws IllegalArgumentException when {@code dir} is not a folder or has no matching file
     */
    public static Map<String, INDArray> readNpyDirectory(Path dir, String prefix) {
        if (dir == null || !Files.isDirectory(dir)) {
            throw new IllegalArgumentException("Not a folder: " + dir + "; give the folder holding the .npy files");
        }
        String p = prefix == null ? "" : prefix;
        Map<String, INDArray> out = new TreeMap<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.npy")) {
            for (Path f : files) {
                String file = f.getFileName().toString();
                if (file.startsWith(p) && file.length() > p.length() + 4) {
                    out.put(file.substring(p.length(), file.length() - 4), Nd4j.createFromNpyFile(f.toFile()));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot list " + dir, e);
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("No file '" + p + "*.npy' in " + dir + "; check the folder and prefix");
        }
        return out;
    }

    // ------------------------------------------------------------------------------------------------ mappings

    /**
     * Mapping for a {@link CifarResNet} of the given depth from the reference-style PyTorch names:
     * {@code backbone.units.0.conv/bn} (stem) &rarr; {@code stem_conv/stem_bn};
     * {@code backbone.units.<i>.conv1/bn1/conv2/bn2/shortcut.0/shortcut.1} (block i, 1-based over all stages)
     * &rarr; {@code s<stage>b<block>_conv1/_bn1/_conv2/_bn2/_sc_conv/_sc_bn}; {@code backbone.fc} &rarr; {@code fc}.
     *
     * @param depth the ResNet depth, 6n+2
     * @return PyTorch module name &rarr; DL4J layer name
     */
    public static Map<String, String> cifarResNetMapping(int depth) {
        int n = CifarResNet.builder().depth(depth).build().blocksPerStage();
        Map<String, String> m = new LinkedHashMap<>();
        m.put("backbone.units.0.conv", "stem_conv");
        m.put("backbone.units.0.bn", "stem_bn");
        int unit = 1;
        for (int s = 1; s <= 3; s++) {
            for (int b = 0; b < n; b++, unit++) {
                String t = "backbone.units." + unit + ".";
                String d = CifarResNet.blockName(s, b) + "_";
                m.put(t + "conv1", d + "conv1");
                m.put(t + "bn1", d + "bn1");
                m.put(t + "conv2", d + "conv2");
                m.put(t + "bn2", d + "bn2");
                m.put(t + "shortcut.0", d + "sc_conv");
                m.put(t + "shortcut.1", d + "sc_bn");
            }
        }
        m.put("backbone.fc", "fc");
        return m;
    }

    /**
     * Mapping for the heads of local module {@code k} (0-based) of an InfoPro LocalModuleGraph with a decoder and a
     * {@code 1c2f} head: {@code aux.<k>.decoder.conv1/bn/conv2} &rarr; {@code m<k>h0_conv1/_bn/_conv2} and
     * {@code aux.<k>.head.conv/bn/fc1/fc2} &rarr; {@code m<k>h1_conv1/_bn1/_fc1/_out}.
     *
     * @param k the local module index, {@code >= 0}
     * @return PyTorch module name &rarr; DL4J layer name
     */
    public static Map<String, String> infoProHeadMapping(int k) {
        if (k < 0) {
            throw new IllegalArgumentException("Local module index must be >= 0, got " + k);
        }
        Map<String, String> m = new LinkedHashMap<>();
        String dec = "aux." + k + ".decoder.";
        String head = "aux." + k + ".head.";
        String d = "m" + k + "h0_";
        String h = "m" + k + "h1_";
        m.put(dec + "conv1", d + "conv1");
        m.put(dec + "bn", d + "bn");
        m.put(dec + "conv2", d + "conv2");
        m.put(head + "conv", h + "conv1");
        m.put(head + "bn", h + "bn1");
        m.put(head + "fc1", h + "fc1");
        m.put(head + "fc2", h + "out");
        return m;
    }

    // ------------------------------------------------------------------------------------------------ resolving

    /**
     * Resolves where a PyTorch tensor goes in {@code graph}.
     *
     * @throws IllegalArgumentException for a name without mapping, a layer missing from the graph, or a parameter the
     *                                  layer type does not have
     */
    public static ParamRef resolve(String torchName, ComputationGraph graph, Map<String, String> mapping) {
        String[] lp = layerAndParam(torchName, mapping);
        if (graph.getVertex(lp[0]) == null || !graph.getVertex(lp[0]).hasLayer()) {
            throw new IllegalArgumentException("PyTorch tensor '" + torchName + "' maps to layer '" + lp[0]
                    + "', which the graph does not have; graph layers: " + layerNames(graph));
        }
        return ref(torchName, 0, graph.getLayer(lp[0]), lp[1]);
    }

    /**
     * Resolves where a PyTorch tensor goes in a LocalModuleGraph: the module whose graph has the mapped layer.
     *
     * @throws IllegalArgumentException for a name without mapping, or a layer that no module has
     */
    public static ParamRef resolve(String torchName, LocalModuleGraph net, Map<String, String> mapping) {
        String[] lp = layerAndParam(torchName, mapping);
        List<ComputationGraph> modules = net.getModules();
        for (int k = 0; k < modules.size(); k++) {
            GraphVertex v = modules.get(k).getVertex(lp[0]);
            if (v != null && v.hasLayer()) {
                return ref(torchName, k, v.getLayer(), lp[1]);
            }
        }
        List<String> all = new ArrayList<>();
        for (ComputationGraph g : modules) {
            all.addAll(layerNames(g));
        }
        throw new IllegalArgumentException("PyTorch tensor '" + torchName + "' maps to layer '" + lp[0]
                + "', which no module has; module layers: " + all);
    }

    // ------------------------------------------------------------------------------------------------ loading

    /**
     * Assigns every tensor to its parameter of {@code graph} (cast to the parameter's data type).
     * {@code num_batches_tracked} tensors are skipped.
     *
     * @param torchTensors PyTorch {@code state_dict}-style name &rarr; tensor
     * @param graph        the initialised graph
     * @param nameMapping  PyTorch module name &rarr; DL4J layer name
     * @return the DL4J parameter keys ({@code layer_param}) of the graph that received no tensor (empty when the
     *         import covered the whole graph)
     * @throws IllegalArgumentException for a name without mapping, a missing layer or parameter, or a shape mismatch;
     *                                  nothing is assigned then
     */
    public static List<String> load(Map<String, INDArray> torchTensors, ComputationGraph graph,
                                    Map<String, String> nameMapping) {
        requireInputs(torchTensors, graph, nameMapping);
        List<ParamRef> refs = new ArrayList<>();
        for (String name : torchTensors.keySet()) {
            if (!name.endsWith("." + NUM_BATCHES_TRACKED)) {
                refs.add(resolve(name, graph, nameMapping));
            }
        }
        assign(torchTensors, refs, Collections.singletonList(graph));
        return notLoaded(refs, Collections.singletonList(graph));
    }

    /**
     * Assigns every tensor to the parameter of the module of {@code net} that owns the mapped layer (backbone layers
     * keep their names in the modules; heads are named {@code m<k>h<i>_...}).
     *
     * @return the DL4J parameter keys ({@code layer_param}) of all modules that received no tensor
     * @throws IllegalArgumentException as {@link #load(Map, ComputationGraph, Map)}
     */
    public static List<String> load(Map<String, INDArray> torchTensors, LocalModuleGraph net,
                                    Map<String, String> nameMapping) {
        if (net == null) {
            throw new IllegalArgumentException("net must not be null");
        }
        requireInputs(torchTensors, net.getModules().get(0), nameMapping);
        List<ParamRef> refs = new ArrayList<>();
        for (String name : torchTensors.keySet()) {
            if (!name.endsWith("." + NUM_BATCHES_TRACKED)) {
                refs.add(resolve(name, net, nameMapping));
            }
        }
        assign(torchTensors, refs, net.getModules());
        return notLoaded(refs, net.getModules());
    }

    private static void requireInputs(Map<String, INDArray> tensors, ComputationGraph graph, Map<String, String> m) {
        if (tensors == null || graph == null || m == null) {
            throw new IllegalArgumentException("torchTensors, graph and nameMapping must not be null");
        }
        if (graph.getLayers() == null) {
            throw new IllegalArgumentException("The graph is not initialised: call init() before loading weights");
        }
    }

    // Converts all tensors first so that a bad one leaves the graph untouched.
    private static void assign(Map<String, INDArray> tensors, List<ParamRef> refs, List<ComputationGraph> graphs) {
        List<INDArray> targets = new ArrayList<>();
        List<INDArray> values = new ArrayList<>();
        for (ParamRef r : refs) {
            INDArray p = graphs.get(r.getModule()).getLayer(r.getLayer()).getParam(r.getParam());
            values.add(r.toDl4jLayout(tensors.get(r.getTorchName()), p.shape()).castTo(p.dataType()));
            targets.add(p);
        }
        for (int i = 0; i < targets.size(); i++) {
            targets.get(i).assign(values.get(i)); // parameters are views of the flat parameter vector
        }
    }

    private static List<String> notLoaded(List<ParamRef> refs, List<ComputationGraph> graphs) {
        List<String> missing = new ArrayList<>();
        for (int k = 0; k < graphs.size(); k++) {
            for (Layer l : graphs.get(k).getLayers()) {
                String name = l.conf().getLayer().getLayerName();
                for (String p : l.paramTable().keySet()) {
                    final int mod = k;
                    boolean hit = refs.stream().anyMatch(r -> r.getModule() == mod && r.getLayer().equals(name)
                            && r.getParam().equals(p));
                    if (!hit) {
                        missing.add(name + "_" + p);
                    }
                }
            }
        }
        return missing;
    }

    private static String[] layerAndParam(String torchName, Map<String, String> mapping) {
        int dot = torchName == null ? -1 : torchName.lastIndexOf('.');
        if (dot <= 0 || dot == torchName.length() - 1) {
            throw new IllegalArgumentException("PyTorch tensor name '" + torchName + "' must be '<module>.<param>',"
                    + " e.g. 'backbone.fc.weight'");
        }
        String module = torchName.substring(0, dot);
        String layer = mapping.get(module);
        if (layer == null) {
            throw new IllegalArgumentException("No mapping for PyTorch module '" + module + "' (tensor '" + torchName
                    + "'): add an entry '" + module + "' -> <DL4J layer name> to the name mapping");
        }
        return new String[]{layer, torchName.substring(dot + 1)};
    }

    private static ParamRef ref(String torchName, int module, Layer layer, String torchParam) {
        org.deeplearning4j.nn.conf.layers.Layer conf = layer.conf().getLayer();
        String name = conf.getLayerName();
        String key;
        boolean transposed = false;
        if (conf instanceof BatchNormalization) {
            if (((BatchNormalization) conf).isUseLogStd() && torchParam.equals("running_var")) {
                throw new IllegalArgumentException("Batch norm layer '" + name + "' stores log10(std) instead of the "
                        + "variance; build it with useLogStd(false) to import PyTorch's running_var");
            }
            key = Map.of("weight", "gamma", "bias", "beta", "running_mean", "mean", "running_var", "var")
                    .get(torchParam);
        } else if (conf instanceof ConvolutionLayer || conf instanceof FeedForwardLayer) {
            key = Map.of("weight", "W", "bias", "b").get(torchParam);
            // ConvolutionLayer extends FeedForwardLayer; only dense-style layers store W transposed.
            transposed = "W".equals(key) && !(conf instanceof ConvolutionLayer);
        } else {
            throw new IllegalArgumentException("Layer '" + name + "' (" + conf.getClass().getSimpleName()
                    + ") is not supported by TorchWeightImport: only convolution, dense/output and batch-norm layers");
        }
        if (key == null || !layer.paramTable().containsKey(key)) {
            throw new IllegalArgumentException("PyTorch tensor '" + torchName + "' has no counterpart in layer '" + name
                    + "' (" + conf.getClass().getSimpleName() + ", parameters " + layer.paramTable().keySet()
                    + "): check the mapping, or whether the layer was built with/without bias");
        }
        return new ParamRef(torchName, module, name, key, transposed);
    }

    private static List<String> layerNames(ComputationGraph g) {
        List<String> names = new ArrayList<>();
        for (Layer l : g.getLayers()) {
            names.add(l.conf().getLayer().getLayerName());
        }
        return names;
    }
}
