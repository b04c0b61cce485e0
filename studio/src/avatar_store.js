// The last avatar generated in this tab, for the Play page's talking head.
let latest = null;

export const rememberAvatar = (glb) => { latest = glb; };
export const latestAvatar = () => latest;
