/**
 * Custom DL4J layers InfoPro needs: {@link dev.infopro.dl4j.layers.BilinearUpsampling2D} (bilinear resize with
 * align_corners = true and an exact backward pass) for the reconstruction decoder; and the in-place ReLU
 * ({@link dev.infopro.dl4j.layers.InPlaceReLU}) and residual sum ({@link dev.infopro.dl4j.layers.InPlaceAdd}) that
 * the engine puts into its module graphs where DL4J's would keep a second copy of a map until the backward pass.
 */
package dev.infopro.dl4j.layers;
