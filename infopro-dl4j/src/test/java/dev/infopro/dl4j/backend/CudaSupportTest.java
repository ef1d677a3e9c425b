package dev.infopro.dl4j.backend;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The decision whether ND4J M2.1's CUDA build runs on a GPU, on CPU with fixed nvidia-smi output. */
class CudaSupportTest {

    @Test
    void cubinsRunOnTheirOwnMajorVersionFromTheirMinorUp() {
        assertTrue(CudaSupport.canRun(8, 6));   // sm_86 itself
        assertTrue(CudaSupport.canRun(8, 9));   // Ada runs the sm_86 cubin
        assertTrue(CudaSupport.canRun(8, 0));
        assertTrue(CudaSupport.canRun(7, 2));   // sm_70 cubin
        assertTrue(CudaSupport.canRun(5, 3));   // sm_52 cubin
        assertTrue(CudaSupport.canRun(3, 7));
        assertFalse(CudaSupport.canRun(3, 5));  // older than the oldest cubin of major 3
        assertFalse(CudaSupport.canRun(9, 0));  // Hopper: no sm_90 cubin and no PTX to compile
        assertFalse(CudaSupport.canRun(10, 0));
        assertFalse(CudaSupport.canRun(12, 0));
        assertThrows(IllegalArgumentException.class, () -> CudaSupport.canRun(-1, 0));
    }

    @Test
    void parsesNvidiaSmiCsv() {
        List<CudaSupport.Gpu> gpus = CudaSupport.parseNvidiaSmi(
                "NVIDIA H200, 9.0\nNVIDIA A100-SXM4-80GB, 8.0\n\nTesla K80, [N/A]\n");
        assertEquals(3, gpus.size());
        assertEquals(new CudaSupport.Gpu("NVIDIA H200", 9, 0), gpus.get(0));
        assertEquals("8.0", gpus.get(1).computeCapability());
        assertEquals("unknown", gpus.get(2).computeCapability());
        assertFalse(gpus.get(0).supported());
        assertTrue(gpus.get(1).supported());
        assertFalse(gpus.get(2).supported());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CudaSupport.parseNvidiaSmi("garbage"));
        assertEquals("nvidia-smi line 'garbage' is not 'name, compute capability'", e.getMessage());
    }

    @Test
    void reportsAProblemOnlyWhenNoListedGpuCanRunTheBuild() {
        assertTrue(CudaSupport.problem(List.of()).isEmpty());
        assertTrue(CudaSupport.problem(CudaSupport.parseNvidiaSmi("NVIDIA H200, 9.0\nNVIDIA A10, 8.6")).isEmpty());
        String message = CudaSupport.problem(CudaSupport.parseNvidiaSmi("NVIDIA H200, 9.0")).orElseThrow();
        assertEquals("ND4J 1.0.0-M2.1's CUDA build (nd4j-cuda-11.6) cannot run on NVIDIA H200 (compute capability"
                + " 9.0): it carries machine code for sm_37, sm_50, sm_52, sm_60, sm_61, sm_70, sm_75, sm_80, sm_86"
                + " only and no PTX, so CUDA would fail with \"no kernel image is available for execution on the"
                + " device\". Use a GPU of compute capability 3.7 to 8.9, or the CPU backend (the default build)."
                + " Set -Dinfopro.cuda.skipCheck=true to try anyway.", message);
    }

    @Test
    void theCheckIsSilentWithoutTheCudaBackend() {
        assertFalse(CudaSupport.cudaBackendPresent()); // the tests run on the CPU backend
        new CudaCompatibilityCheck(); // must not throw, whatever GPUs this machine has
    }
}
