/// The page `GET /` serves: plain HTML, CSS and a little JavaScript, no framework and nothing fetched from
/// elsewhere. It drives the JSON API: uploads, the model's view and verdict, the reviewer's verdict, the history.
enum ServerPage {
    static let html = """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>wbc — cell types</title>
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <style>
        body{font:15px/1.4 system-ui,sans-serif;margin:1.5rem;max-width:72rem;color:#222}
        h1{font-size:1.4rem} h2{font-size:1.1rem;margin-top:2rem}
        #drop{border:2px dashed #999;border-radius:8px;padding:1.5rem;text-align:center;color:#555}
        #drop.over{background:#eef}
        .card{display:flex;gap:1rem;border:1px solid #ddd;border-radius:8px;padding:.8rem;margin:.8rem 0}
        .card img{width:128px;height:128px;image-rendering:pixelated;border:1px solid #ccc}
        .bar{display:flex;align-items:center;gap:.4rem;font-size:13px}
        .bar span.fill{display:inline-block;height:10px;background:#4a6fd8}
        .nearest{display:flex;flex-wrap:wrap;gap:.5rem;margin-top:.5rem} .nearest figure{margin:0;width:84px;font-size:11px;color:#555}
        .card .nearest img{width:80px;height:80px}
        .error{color:#b00020} table{border-collapse:collapse;width:100%} td,th{border-bottom:1px solid #eee;padding:.3rem;text-align:left;font-size:13px}
        </style></head><body>
        <h1>White-blood-cell types</h1>
        <p id="model">Loading the model…</p>
        <div id="drop">Drop JPEG, PNG or BMP images here, or <input type="file" id="files" accept="image/jpeg,image/png,image/bmp" multiple></div>
        <div id="results"></div>
        <h2>History</h2>
        <p><label>Type <select id="type"><option value="">all</option></select></label>
        <label><input type="checkbox" id="review"> needs review</label>
        <button id="prev">newer</button> <button id="next">older</button> <a id="csv" href="api/v1/predictions.csv">export CSV</a></p>
        <table><thead><tr><th>id</th><th>time</th><th>file</th><th>type</th><th>confidence</th><th>reviewed</th></tr></thead><tbody id="history"></tbody></table>
        <script>
        let types=[], offset=0, token=sessionStorage.getItem('wbc-token'); const limit=20;
        const el=(tag,text)=>{const e=document.createElement(tag); if(text!==undefined) e.textContent=text; return e;};
        // A server started with --token-file answers 401 until the page sends its token; it is asked for once per tab.
        async function call(path,options={},retry=true){const headers={...(options.headers||{})}; if(token) headers['Authorization']='Bearer '+token;
          const r=await fetch(path,{...options,headers});
          if(r.status===401&&retry){const t=prompt('This server needs its access token (the contents of its --token-file):'); if(t){token=t.trim(); sessionStorage.setItem('wbc-token',token); return call(path,options,false);}}
          return r;}
        async function api(path,options){const r=await call(path,options); const body=await r.json().catch(()=>({})); if(!r.ok) throw new Error((body.error&&body.error.message)||r.statusText); return body;}
        async function blobURL(path){const r=await call(path); if(!r.ok) throw new Error(r.statusText); return URL.createObjectURL(await r.blob());}
        async function loadModel(){const m=await api('api/v1/model'); types=m.cell_types;
          document.getElementById('model').textContent=`Model: ${m.backbone}${m.imagenet_features ? ' + ' + m.imagenet_features + ' (ImageNet, frozen)' : ''}, ${m.k} clusters (${types.join(', ')}), checkpoint ${m.checkpoint_sha256.slice(0,12)}`;
          const sel=document.getElementById('type'); for(const t of [...new Set(types)]){const o=el('option',t); o.value=t; sel.append(o);} }
        function show(p){const card=el('div'); card.className='card'; card.dataset.id=p.id||'';
          if(p.error){card.append(el('div',p.file_name+': ')); const e=el('span',p.error.message); e.className='error'; card.append(e); return card;}
          const img=el('img'); img.src=p.crop; img.alt='the crop the model saw'; card.append(img);
          const info=el('div'); info.append(el('div',p.file_name)); const verdict=el('strong',`${p.cell_type} (cluster ${p.cluster}), confidence ${(100*p.confidence).toFixed(1)} %`); verdict.className='verdict'; info.append(verdict);
          p.probabilities.forEach((q,i)=>{const b=el('div'); b.className='bar'; const f=el('span'); f.className='fill'; f.style.width=(160*q)+'px'; b.append(el('span',`${types[i]||i}`),f,el('span',(100*q).toFixed(1)+' %')); info.append(b);});
          const review=el('div'); const pick=el('select'); pick.className='reviewed'; for(const t of [...new Set(types)]){const o=el('option',t); o.value=t; if(t===p.cell_type) o.selected=true; pick.append(o);}
          const save=el('button','record verdict'); save.className='save'; const done=el('span'); done.className='saved';
          save.onclick=async()=>{try{await api('api/v1/predictions/'+p.id,{method:'PATCH',headers:{'Content-Type':'application/json'},body:JSON.stringify({reviewed_type:pick.value})}); done.textContent=' recorded: '+pick.value; loadHistory();}catch(e){done.textContent=' '+e.message;}};
          review.append('Reviewer: ',pick,save,done); info.append(review);
          if(p.nearest&&p.nearest.length){const near=el('div'); near.className='nearest'; near.append(el('div','Most similar training cells:'));
            for(const n of p.nearest){const f=el('figure'); const im=el('img'); im.alt=n.file_name||('training cell '+n.index);
              if(n.image) blobURL(n.image).then(u=>{im.src=u;}).catch(()=>{im.alt='(image unavailable)';});
              f.append(im,el('figcaption',`${n.cell_type||''}${n.label?' (label '+n.label+')':''}, ${(100*n.similarity).toFixed(0)} % similar`)); near.append(f);}
            info.append(near);}
          card.append(info); return card;}
        async function upload(files){const results=document.getElementById('results');
          for(const f of files){const form=new FormData(); form.append('file',f,f.name);
            try{const r=await api('api/v1/predictions',{method:'POST',body:form}); for(const p of r.predictions) results.prepend(show(p));}
            catch(e){const c=el('div',f.name+': '+e.message); c.className='card error'; results.prepend(c);} }
          loadHistory();}
        async function loadHistory(){const q=new URLSearchParams({limit,offset}); const t=document.getElementById('type').value; if(t) q.set('type',t); if(document.getElementById('review').checked) q.set('needs_review','true');
          const page=await api('api/v1/predictions?'+q); const body=document.getElementById('history'); body.replaceChildren();
          for(const p of page.items){const tr=el('tr'); for(const v of [p.id,p.created_at.replace('T',' ').slice(0,19),p.file_name,p.cell_type,(100*p.confidence).toFixed(1)+' %',p.reviewed_type||'']) tr.append(el('td',String(v))); body.append(tr);} }
        document.getElementById('files').onchange=e=>upload(e.target.files);
        document.getElementById('csv').onclick=async e=>{e.preventDefault(); const a=el('a'); a.href=await blobURL('api/v1/predictions.csv'); a.download='cases.csv'; a.click();};
        const drop=document.getElementById('drop'); drop.ondragover=e=>{e.preventDefault(); drop.classList.add('over');}; drop.ondragleave=()=>drop.classList.remove('over');
        drop.ondrop=e=>{e.preventDefault(); drop.classList.remove('over'); upload(e.dataTransfer.files);};
        document.getElementById('type').onchange=()=>{offset=0; loadHistory();}; document.getElementById('review').onchange=()=>{offset=0; loadHistory();};
        document.getElementById('prev').onclick=()=>{offset=Math.max(0,offset-limit); loadHistory();}; document.getElementById('next').onclick=()=>{offset+=limit; loadHistory();};
        loadModel().then(loadHistory).catch(e=>{document.getElementById('model').textContent='The model could not be described: '+e.message;});
        </script></body></html>
        """
}
