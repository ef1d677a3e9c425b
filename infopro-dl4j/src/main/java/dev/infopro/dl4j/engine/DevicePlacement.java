package dev.infopro.dl4j.engine;

/**
 * Which device each module's worker runs on when modules run concurrently ({@link PipelinedExecutor}): with D
 * devices and K modules, consecutive modules share a device in contiguous blocks (module k on device
 * {@code floor(k * D / K)}), so h_k crosses devices at most D-1 times per batch. With one device (the CPU backend,
 * or one GPU) no worker is bound to a device.
 */
final class DevicePlacement {
    private DevicePlacement() {
    }

    /**
     * @param module  0-based module index
     * @param modules K, the number of modules
     * @param devices the number of devices ND4J sees
     * @return the device index for the module's worker, or -1 to leave the thread unbound
     */
    static int deviceFor(int module, int modules, int devices) {
        if (module < 0 || module >= modules) {
            throw new IllegalArgumentException("module " + module + " is not in [0, " + modules + ")");
        }
        if (devices <= 1) {
            return -1;
        }
        return (int) ((long) module * devices / modules);
    }
}
